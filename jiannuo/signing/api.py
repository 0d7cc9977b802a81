"""API endpoints for the signing step."""

from ninja import Router

router = Router(tags=["signing"])
