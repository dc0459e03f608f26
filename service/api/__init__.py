"""The HTTP side of the service: webhook intake, the REST API and health, as FastAPI routers."""
