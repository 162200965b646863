"""The commands, one module each: build, digest, send, new, serve."""
