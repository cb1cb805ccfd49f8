"""`POST /api/v1/complaints`: apps, mini-programs and other systems submit complaints.

JSON, or multipart/form-data with the same fields plus files under `attachments`.
An `Idempotency-Key` header makes retries safe: the same key and body return the same
case with 200 instead of 201; the same key with another body is 409. The channel's
own `external_id` is unique per channel in the same way. Needs the token scope
`complaints:create`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pydantic
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import ValidationError
from ninja.responses import Status as HttpStatus
from pydantic import AwareDatetime

from kesu.accounts.models import Store
from kesu.api import auth
from kesu.api.auth import ApiRequest
from kesu.cases.models import Case, Channel, Product
from kesu.cases.schemas import ERRORS, Timestamp
from kesu.core.errors import InvalidInput
from kesu.intake.backends.api import ApiBackend
from kesu.intake.selectors import first_response_due

router = Router(tags=["complaints"])

MAX_IDEMPOTENCY_KEY = 100
_FILES_FIELD = "attachments"


class ComplaintIn(Schema):
    store: str = Field(..., description="Store code.")
    description: str = Field(..., min_length=1, max_length=10_000)
    channel: Channel = Field(Channel.API, description="The channel the case keeps.")
    external_id: str = Field(
        "", max_length=200, description="Your id for it; unique per channel."
    )
    client: str = Field(
        "", max_length=60, description="Which app sent it, e.g. wechat-mini-program."
    )
    customer_name: str = Field("", max_length=100)
    customer_phone: str = Field("", max_length=40)
    customer_email: str = Field("", max_length=254)
    customer_address: str = Field("", max_length=300)
    received_at: AwareDatetime | None = None
    demand: str = Field("", max_length=2_000)
    product: int | None = Field(None, description="Product id.")
    product_model: str = Field("", max_length=80)
    serial_number: str = Field("", max_length=80)
    purchased_on: dt.date | None = None
    order_number: str = Field("", max_length=80)


class ComplaintOut(Schema):
    number: str
    status: str
    channel: str
    received_at: Timestamp
    store: str = Field(..., alias="store.code")
    first_response_due: Timestamp | None

    @staticmethod
    def resolve_first_response_due(obj: Case) -> dt.datetime | None:
        return first_response_due(obj)


# The body is parsed by hand (JSON or multipart), so ninja cannot describe it: say it
# here. `Channel` is already a component (POST /cases uses it); refer to it there.
_BODY_SCHEMA = ComplaintIn.model_json_schema(
    ref_template="#/components/schemas/{model}"
)
_BODY_SCHEMA.pop("$defs", None)

_OPENAPI_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _BODY_SCHEMA},
            "multipart/form-data": {
                "schema": {
                    "allOf": [_BODY_SCHEMA],
                    "properties": {
                        _FILES_FIELD: {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                        }
                    },
                }
            },
        },
    },
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY},
        }
    ],
}


def _raw_body(request: ApiRequest) -> dict[str, Any]:
    if request.content_type == "multipart/form-data":
        # An empty form field means "not given", as an absent JSON key does.
        return {key: value for key, value in request.POST.items() if value != ""}
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ValidationError(
            [{"loc": ("body",), "msg": _("Send a JSON object."), "type": "json"}]
        )
    return body


def _parse(request: ApiRequest) -> ComplaintIn:
    try:
        return ComplaintIn.model_validate(_raw_body(request))
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        raise ValidationError(
            [{**error, "loc": ("body", "payload", *error["loc"])} for error in errors]
        ) from None


def _store(code: str) -> Store:
    store = Store.objects.filter(is_active=True, code=code).first()
    if store is None:
        raise InvalidInput(_("No active store has this code."), field="store")
    return store


def _product(pk: int | None) -> Product | None:
    if pk is None:
        return None
    product = Product.objects.filter(is_active=True, pk=pk).first()
    if product is None:
        raise InvalidInput(_("No active product has this id."), field="product")
    return product


def _idempotency_key(request: ApiRequest) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise InvalidInput(
            _("At most %(n)d characters.") % {"n": MAX_IDEMPOTENCY_KEY},
            field="Idempotency-Key",
        )
    return key


@router.post(
    "",
    auth=auth.intake,
    response={200: ComplaintOut, 201: ComplaintOut, **ERRORS},
    openapi_extra=_OPENAPI_BODY,
)
def receive_complaint(request: ApiRequest) -> HttpStatus[Any]:
    """Submit a customer's complaint: 201 with its number, 200 when a retry replays."""
    payload = _parse(request)
    fields = payload.model_dump(exclude={"store", "product", "client"})
    fields["channel"] = payload.channel.value
    receipt = ApiBackend().receive_body(
        {
            **fields,
            "store": _store(payload.store),
            "product": _product(payload.product),
        },
        client=request.auth,
        idempotency_key=_idempotency_key(request),
        attachments=request.FILES.getlist(_FILES_FIELD),
        source={"token_user": request.auth.pk, "app": payload.client},
    )
    return HttpStatus(201 if receipt.created else 200, receipt.case)
