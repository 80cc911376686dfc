from __future__ import annotations

import pytest

from app.d0_gateway.router import HTTPError, Request, Response, Router, compile_template


def echo(request: Request) -> Response:
    return Response(200, repr(sorted(request.params.items())).encode(), "text/plain")


@pytest.fixture
def router() -> Router:
    router = Router()
    router.add("GET", "/invoices/{invoice_id}", echo)
    router.add("DELETE", "/invoices/{invoice_id}", echo)
    router.add("GET", "/customers/{customer_id}/orders/{order_id}", echo)
    return router


@pytest.mark.critical
def test_dispatch_binds_path_parameters(router: Router) -> None:
    response = router.dispatch(Request.from_target("GET", "/customers/c-7/orders/o-9"))
    assert response.body == b"[('customer_id', 'c-7'), ('order_id', 'o-9')]"


def test_unknown_path_is_404(router: Router) -> None:
    with pytest.raises(HTTPError) as info:
        router.resolve(Request.from_target("GET", "/nope"))
    assert (info.value.status, info.value.message) == (404, "no route for /nope")


def test_known_path_wrong_method_is_405_with_allow(router: Router) -> None:
    with pytest.raises(HTTPError) as info:
        router.resolve(Request.from_target("POST", "/invoices/inv_1"))
    assert info.value.status == 405
    assert info.value.headers == {"Allow": "DELETE, GET"}


def test_parameter_does_not_span_segments(router: Router) -> None:
    with pytest.raises(HTTPError, match="no route for /invoices/a/b"):
        router.resolve(Request.from_target("GET", "/invoices/a/b"))


def test_duplicate_route_is_rejected(router: Router) -> None:
    with pytest.raises(
        ValueError, match=r"route GET /invoices/\{invoice_id\} is already registered"
    ):
        router.add("get", "/invoices/{invoice_id}", echo)


def test_template_must_be_absolute() -> None:
    with pytest.raises(ValueError, match="route 'invoices': must start with '/'"):
        compile_template("invoices")


def test_request_target_splits_query_last_value_wins() -> None:
    request = Request.from_target("get", "/reports/revenue?month=2026-01&month=2026-02&x=")
    assert (request.method, request.path) == ("GET", "/reports/revenue")
    assert request.query == {"month": "2026-02", "x": ""}
