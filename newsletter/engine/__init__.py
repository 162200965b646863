"""The engine: the site as jobs, workers, the cache, out/ put in place, the send log, SMTP."""
