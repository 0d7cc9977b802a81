"""JSON API of the accountability step: the same services and permissions as the pages."""

from ninja import Router

router = Router(tags=["accountability"])
