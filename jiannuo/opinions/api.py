"""API endpoints for the opinions step."""

from ninja import Router

router = Router(tags=["opinions"])
