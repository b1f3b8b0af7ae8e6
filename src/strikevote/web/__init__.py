"""The vote server: FastAPI application, JSON API, booth and public pages, committee console."""
