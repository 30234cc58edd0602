"""One table of the API's routes: each declared once, served by aiohttp and described by OpenAPI.

A resource module makes a :class:`RouteTable` and declares each route with its decorator:
method, path, summary, the errors it answers beyond the ones every route has, and who may call
it. The handler's signature says the rest: a ``path``, ``query`` or ``body`` parameter typed
with a pydantic model is read, checked (a 422 naming every bad field, all at once) and passed
in; the return type is the 200 answer. :mod:`hub.api.openapi` reads the same tables, so the
document cannot say something the routes do not do.

Modules that declare routes do not use ``from __future__ import annotations``: the table reads
their handlers' annotations as classes when the module is imported.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar, Unpack

from aiohttp import web
from pydantic import BaseModel, ValidationError

from hub.api.access import ApiError, authenticate, json_response, pool_of
from hub.api.models import FieldProblem
from hub.errors import HubError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from psycopg_pool import AsyncConnectionPool

    from hub.auth.users import Role, User

Method = Literal["GET", "POST", "PUT", "DELETE"]
Handler = TypeVar("Handler", bound="Callable[..., Awaitable[Any]]")
INPUTS = ("path", "query", "body")
"""The handler parameters the table fills from the request, each typed with a model."""


class How(TypedDict, total=False):
    """How a route is declared beyond its method, path and summary: see :meth:`RouteTable.route`."""

    errors: Iterable[int]
    allowed: Allowed | None
    public: bool
    responses: dict[int, str]


class RouteDeclarationError(HubError, TypeError):
    """A handler's signature does not follow the table's convention."""


@dataclass(frozen=True, slots=True)
class Allowed:
    """The roles that may call a route, and what the others are told they do not do."""

    roles: frozenset[Role]
    doing: str
    """Completes "a social_worker does not ...", the 403's message."""


@dataclass(slots=True)
class Call:
    """One call of a route: the request and the caller, and cookies for the answer."""

    request: web.Request
    caller: User | None
    cookies: list[Callable[[web.StreamResponse], None]] = field(default_factory=list)

    @property
    def user(self) -> User:
        """The signed-in caller (every route but the public ones has one)."""
        if self.caller is None:
            raise ApiError(401, "sign in first")
        return self.caller

    @property
    def pool(self) -> AsyncConnectionPool[Any]:
        """The hub's connection pool."""
        return pool_of(self.request)

    def on_response(self, change: Callable[[web.StreamResponse], None]) -> None:
        """Apply ``change`` (a cookie set or deleted) to the answer before it leaves."""
        self.cookies.append(change)


@dataclass(frozen=True, slots=True)
class Route:
    """One route of the API, as the table declares it."""

    method: Method
    path: str
    handler: Callable[..., Awaitable[Any]]
    summary: str
    inputs: dict[str, type[BaseModel]]
    """``path``, ``query`` and ``body``: the models the request is read into."""
    response: type[BaseModel] | None
    """The 200 answer; None for a handler that makes its own (the stream's WebSocket)."""
    errors: frozenset[int]
    """Every error status the route may answer, documented with the ErrorBody schema."""
    allowed: Allowed | None
    public: bool
    responses: dict[int, str]
    """Answers other than 200 and the errors (101 for the WebSocket)."""

    @property
    def operation_id(self) -> str:
        """A name for the route in the document: its handler's."""
        return self.handler.__name__.lstrip("_")

    async def serve(self, request: web.Request) -> web.StreamResponse:
        """Check the caller and the request, call the handler, answer."""
        caller = None if self.public else await authenticate(request)
        if caller is not None and self.allowed and caller.role not in self.allowed.roles:
            raise ApiError(403, f"a {caller.role.value} does not {self.allowed.doing}")
        call = Call(request, caller)
        result = await self.handler(call, **await self._read_inputs(request))
        if isinstance(result, web.StreamResponse):
            return result
        response = json_response(result)
        for change in call.cookies:
            change(response)
        return response

    async def _read_inputs(self, request: web.Request) -> dict[str, BaseModel]:
        raw: dict[str, Any] = {
            "path": dict(request.match_info),
            "query": dict(request.query),
        }
        if "body" in self.inputs:
            raw["body"] = await request.read()
        read: dict[str, BaseModel] = {}
        problems: list[FieldProblem] = []
        at_fault: set[str] = set()
        for name, model in self.inputs.items():
            try:
                if name == "body":
                    read[name] = model.model_validate_json(raw[name] or b"null")
                else:
                    read[name] = model.model_validate_strings(raw[name])
            except ValidationError as err:
                problems.extend(_problems(err, name))
                at_fault.add(name)
        if problems:
            title = "the request body is not valid" if at_fault == {"body"} else "bad request"
            raise ApiError(422, title, problems)
        return read


def _problems(err: ValidationError, where: str) -> list[FieldProblem]:
    """Pydantic's errors as fields: ``body`` fields by their path, parameters by name."""
    problems = []
    for error in err.errors(include_url=False):
        name = ".".join(str(part) for part in error["loc"]) or where
        problems.append(FieldProblem(field=name, message=error["msg"]))
    return problems


class RouteTable:
    """The routes of one resource, declared with :meth:`get`, :meth:`post`, :meth:`put`..."""

    def __init__(self) -> None:
        """Start empty."""
        self.routes: list[Route] = []

    def get(self, path: str, summary: str, **how: Unpack[How]) -> Callable[[Handler], Handler]:
        """Declare a GET route; see :meth:`route`."""
        return self.route("GET", path, summary, **how)

    def post(self, path: str, summary: str, **how: Unpack[How]) -> Callable[[Handler], Handler]:
        """Declare a POST route; see :meth:`route`."""
        return self.route("POST", path, summary, **how)

    def put(self, path: str, summary: str, **how: Unpack[How]) -> Callable[[Handler], Handler]:
        """Declare a PUT route; see :meth:`route`."""
        return self.route("PUT", path, summary, **how)

    def delete(self, path: str, summary: str, **how: Unpack[How]) -> Callable[[Handler], Handler]:
        """Declare a DELETE route; see :meth:`route`."""
        return self.route("DELETE", path, summary, **how)

    def route(  # noqa: PLR0913 - every argument is one fact of the route's declaration
        self,
        method: Method,
        path: str,
        summary: str,
        *,
        errors: Iterable[int] = (),
        allowed: Allowed | None = None,
        public: bool = False,
        responses: dict[int, str] | None = None,
    ) -> Callable[[Handler], Handler]:
        """Declare the decorated handler as ``method path``.

        Args:
            method: the HTTP method.
            path: the path, with ``{name}`` for each path parameter.
            summary: one line for the document.
            errors: the statuses the handler itself raises (404, 409, 429...); 401, 403 and
                422 are added where the route's declaration implies them.
            allowed: who may call it, when not every signed-in user.
            public: no sign-in (the sign-in itself, the document).
            responses: answers other than 200 and errors, for a handler that makes its own.
        """

        def declare(handler: Handler) -> Handler:
            inputs, response = _signature(handler)
            implied = set(errors)
            if not public:
                implied.add(401)
                if allowed is not None or method != "GET":
                    implied.add(403)  # a role refused, or a change without the CSRF header
            if inputs:
                implied.add(422)
            self.routes.append(
                Route(
                    method=method,
                    path=path,
                    handler=handler,
                    summary=summary,
                    inputs=inputs,
                    response=response,
                    errors=frozenset(implied),
                    allowed=allowed,
                    public=public,
                    responses=dict(responses or {}),
                )
            )
            return handler

        return declare

    def add_to(self, app: web.Application) -> None:
        """Serve every route of the table on ``app``."""
        for route in self.routes:
            app.router.add_route(route.method, route.path, route.serve)


def _signature(handler: Callable[..., Any]) -> tuple[dict[str, type[BaseModel]], Any]:
    """The handler's inputs and 200 answer, read from its annotations."""
    signature = inspect.signature(handler)
    parameters = list(signature.parameters.values())
    if not parameters or parameters[0].annotation is not Call:
        raise RouteDeclarationError(f"{handler.__name__}: the first parameter must be a Call")
    inputs: dict[str, type[BaseModel]] = {}
    for parameter in parameters[1:]:
        model = parameter.annotation
        if parameter.name not in INPUTS or not _is_model(model):
            raise RouteDeclarationError(
                f"{handler.__name__}: {parameter.name} must be one of {INPUTS}, typed by a model"
            )
        inputs[parameter.name] = model
    answer = signature.return_annotation
    if _is_model(answer):
        return inputs, answer
    if isinstance(answer, type) and issubclass(answer, web.StreamResponse):
        return inputs, None
    raise RouteDeclarationError(f"{handler.__name__}: it must return a model or a response")


def _is_model(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
