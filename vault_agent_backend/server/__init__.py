"""Running the server: configuration, dev mode and gunicorn."""
