"""Web adapter: FastAPI app factory, server-rendered pages and the JSON API."""
