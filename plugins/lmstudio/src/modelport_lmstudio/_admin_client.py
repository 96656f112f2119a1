"""``LMStudio``: model management for one LM Studio server (REST API v1): load, unload, unload
the others, context length.

The provider is a sans-IO translator; this object manages the server itself. Each method
checks its arguments (``_admin_args``), builds the operation's program (``_admin_programs``)
and drives it with the transport's ``send`` or, for the ``a*`` twins, ``asend``
(``_admin_runner``). The HTTP goes through modelport's public transport seam
(``modelport.HttpxTransport`` by default), so timeouts and connection errors are the same
typed errors a model call raises.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import modelport as mp
from modelport.provider import ConfigurationError, LLMError

from ._admin_args import (
    DEFAULT_ROOT_URL,
    DEFAULT_TIMEOUT,
    IfLoaded,
    check_load,
    check_model,
    coerce_timeout,
    keep_set,
    root_url,
)
from ._admin_programs import (
    Program,
    Requests,
    context_program,
    list_program,
    load_program,
    unload_others_program,
    unload_program,
)
from ._admin_replies import LoadedModel
from ._admin_runner import arun, run
from ._models import PROVIDER, LMStudioModel

if TYPE_CHECKING:
    from modelport.transport import Transport

__all__ = ["LMStudio"]

T = TypeVar("T")


class LMStudio:
    """Model management for one LM Studio server (REST API v1, LM Studio 0.4+).

    ``LMStudio("http://127.0.0.1:1234")`` or ``LMStudio.from_llm(llm)``; a base URL ending in
    ``/v1`` is accepted. ``api_key`` (default ``LM_API_TOKEN``) is sent as a Bearer token.
    Every method has an ``a``-prefixed async twin that never blocks the event loop. One
    connection pool per object: reuse it, and close it (``with`` / ``async with``).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_ROOT_URL,
        *,
        api_key: str | None = None,
        timeout: mp.Timeouts | float | None = None,
        transport: Transport | None = None,
        model: str | None = None,
    ) -> None:
        if not isinstance(base_url, str):
            raise ConfigurationError(f"lmstudio: base_url must be a str, not {base_url!r}")
        self.root_url = root_url(base_url)
        if api_key is None:
            api_key = os.environ.get("LM_API_TOKEN") or None
        self._secrets = [api_key] if api_key else []
        self._req = Requests(self.root_url, api_key)
        self.timeout = coerce_timeout(timeout, DEFAULT_TIMEOUT)
        self.model = None if model is None else check_model(model)
        self._transport: Transport = transport if transport is not None else mp.HttpxTransport()

    @classmethod
    def from_llm(
        cls,
        llm: mp.LLM,
        *,
        timeout: mp.Timeouts | float | None = None,
        transport: Transport | None = None,
    ) -> LMStudio:
        """The server an ``LLM`` talks to, its key, and its model as the default model."""
        provider = llm.provider
        root = getattr(provider, "root_url", None)
        if not isinstance(root, str):
            root = provider.settings.base_url
        if not isinstance(root, str) or not root:
            raise ConfigurationError(
                f"lmstudio: {llm!r} has no base_url to find an LM Studio server at",
                provider=PROVIDER,
            )
        return cls(
            root,
            api_key=provider.settings.api_key,
            timeout=timeout,
            transport=transport,
            model=llm.model,
        )

    def __repr__(self) -> str:
        return f"LMStudio({self.root_url!r})"

    # -- driving a program ---------------------------------------------------------------------

    def _target(self, model: str | None) -> str:
        model = model if model is not None else self.model
        if model is None:
            raise ConfigurationError(
                "lmstudio: name the model (this LMStudio has no default model)",
                provider=PROVIDER,
            )
        return check_model(model)

    def _fail(self, err: LLMError) -> LLMError:
        if err.provider is None:
            err.provider = PROVIDER
        return err.scrubbed(self._secrets)

    def _run(self, program: Program[T]) -> T:
        return run(program, self._transport, self.timeout, self._fail)

    async def _arun(self, program: Program[T]) -> T:
        return await arun(program, self._transport, self.timeout, self._fail)

    # -- the catalogue -------------------------------------------------------------------------

    def models(self) -> list[LMStudioModel]:
        """Every model of ``GET /api/v1/models``, with its loaded instances."""
        return self._run(list_program(self._req))

    async def amodels(self) -> list[LMStudioModel]:
        return await self._arun(list_program(self._req))

    def loaded_context_length(self, model: str | None = None) -> int | None:
        """The context length ``model`` is loaded with; ``None`` when it is not loaded.

        ``model`` is a model key, a variant or an instance id (``key:2``). A model the server
        does not know is a ``ModelNotFoundError``.
        """
        return self._run(context_program(self._req, self._target(model)))

    async def aloaded_context_length(self, model: str | None = None) -> int | None:
        return await self._arun(context_program(self._req, self._target(model)))

    # -- load ----------------------------------------------------------------------------------

    def _load(
        self,
        model: str | None,
        options: dict[str, Any],
        config: Mapping[str, Any] | None,
        extra_body: Mapping[str, Any] | None,
        unload_others: bool,
        if_loaded: str,
    ) -> Program[LoadedModel]:
        body = check_load(
            self._target(model), options, config, extra_body, unload_others, if_loaded
        )
        return load_program(
            self._req, body, unload_others=unload_others, if_loaded=cast(IfLoaded, if_loaded)
        )

    def load_model(
        self,
        model: str | None = None,
        *,
        context_length: int | None = None,
        eval_batch_size: int | None = None,
        flash_attention: bool | None = None,
        num_experts: int | None = None,
        offload_kv_cache_to_gpu: bool | None = None,
        config: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        unload_others: bool = False,
        if_loaded: IfLoaded = "reuse",
    ) -> LoadedModel:
        """Load ``model`` (default: this object's model) and return the loaded instance.

        Load options are the keyword arguments, or the same names in ``config`` (keyword
        arguments win); ``extra_body`` is merged into the request unchecked. With
        ``unload_others=True`` every other loaded instance is unloaded first (better-llm-sdk's
        ``lm_studio_unload_model``). ``if_loaded`` decides what an already loaded model means:
        ``"reuse"`` returns an instance whose config has every option given (else its instances
        are unloaded and the model loaded again), ``"reload"`` always unloads and loads,
        ``"add"`` always asks for another instance (LM Studio's own behaviour).
        """
        program = self._load(
            model,
            {
                "context_length": context_length,
                "eval_batch_size": eval_batch_size,
                "flash_attention": flash_attention,
                "num_experts": num_experts,
                "offload_kv_cache_to_gpu": offload_kv_cache_to_gpu,
            },
            config,
            extra_body,
            unload_others,
            if_loaded,
        )
        return self._run(program)

    async def aload_model(
        self,
        model: str | None = None,
        *,
        context_length: int | None = None,
        eval_batch_size: int | None = None,
        flash_attention: bool | None = None,
        num_experts: int | None = None,
        offload_kv_cache_to_gpu: bool | None = None,
        config: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        unload_others: bool = False,
        if_loaded: IfLoaded = "reuse",
    ) -> LoadedModel:
        """``load_model``, on the event loop."""
        program = self._load(
            model,
            {
                "context_length": context_length,
                "eval_batch_size": eval_batch_size,
                "flash_attention": flash_attention,
                "num_experts": num_experts,
                "offload_kv_cache_to_gpu": offload_kv_cache_to_gpu,
            },
            config,
            extra_body,
            unload_others,
            if_loaded,
        )
        return await self._arun(program)

    # -- unload --------------------------------------------------------------------------------

    def unload_model(self, instance_id: str | None = None) -> str:
        """Unload one instance (default: this object's model); returns the unloaded id.

        An instance the server does not have is a ``ModelNotFoundError``.
        """
        return self._run(unload_program(self._req, self._target(instance_id)))

    async def aunload_model(self, instance_id: str | None = None) -> str:
        return await self._arun(unload_program(self._req, self._target(instance_id)))

    def _others(self, keep: str | Iterable[str] | None) -> frozenset[str]:
        kept = keep_set(keep)
        return kept or frozenset({self._target(None)})

    def unload_others(
        self,
        keep: str | Iterable[str] | None = None,
    ) -> list[str]:
        """Unload every loaded instance except those of ``keep`` (default: this object's model).

        ``keep`` names models (keys or variants: all their instances stay) or instance ids.
        Returns the unloaded instance ids.
        """
        return self._run(unload_others_program(self._req, self._others(keep)))

    async def aunload_others(
        self,
        keep: str | Iterable[str] | None = None,
    ) -> list[str]:
        return await self._arun(unload_others_program(self._req, self._others(keep)))

    def unload_all(self) -> list[str]:
        """Unload every loaded instance; returns their ids."""
        return self._run(unload_others_program(self._req, frozenset()))

    async def aunload_all(self) -> list[str]:
        return await self._arun(unload_others_program(self._req, frozenset()))

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        self._transport.close()

    async def aclose(self) -> None:
        await self._transport.aclose()

    def __enter__(self) -> LMStudio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> LMStudio:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
