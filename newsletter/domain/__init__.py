"""The domain, pure and without I/O: periods, what is published, digests, feeds' contents."""
