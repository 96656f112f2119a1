"""The ``modelport`` command: list plugins and models, send a prompt and stream the answer.

Errors print one clear line on stderr and exit non-zero (2 for configuration problems, 1 for
failed requests); a traceback means a modelport bug.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from ._errors import ConfigurationError, LLMError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="modelport", description="Talk to any LLM provider.")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("plugins", help="list loaded plugins as JSON (name, version, hooks)")

    m = sub.add_parser(
        "models",
        help="list providers, or a provider's models with what each accepts (its profile)",
        description="No -m: the installed providers (JSON). -m PROVIDER: the models its server "
        "lists, one line each with the profile (context window, max output, thinking, tools, "
        "images, structured strategy, thinking with forced tools, sampling parameters; '-' "
        "is unknown). -m PROVIDER:MODEL: that model's whole profile. See docs/profiles.md.",
    )
    m.add_argument("-m", "--model", help="provider or provider:model whose server to ask")
    m.add_argument("--base-url")
    m.add_argument("--api-key")
    m.add_argument("--json", action="store_true", help="print the profiles as JSON")

    pr = sub.add_parser("prompt", help="send a prompt and stream the answer")
    pr.add_argument("text", help="the prompt; '-' reads it from stdin")
    pr.add_argument("-m", "--model", required=True, help="provider:model")
    pr.add_argument("--base-url")
    pr.add_argument("--api-key")
    pr.add_argument("--system", help="system prompt")
    pr.add_argument("--no-stream", action="store_true", help="wait for the whole answer")
    pr.add_argument("--max-tokens", type=int)
    pr.add_argument("--temperature", type=float)
    pr.add_argument("--timeout", type=float, help="seconds (read and total)")
    pr.add_argument("--show-reasoning", action="store_true", help="print reasoning to stderr")
    pr.add_argument("--usage", action="store_true", help="print token usage and cost to stderr")
    pr.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")

    cf = sub.add_parser(
        "config", help="print the resolved modelport.toml (aliases, default model) as JSON"
    )
    cf.add_argument("--path", action="store_true", help="print only the config file's path")

    np = sub.add_parser("new-plugin", help="write a provider plugin package to start from")
    np.add_argument("name", help="the provider's name, e.g. acme (the package: modelport-acme)")
    np.add_argument("--dir", help="the folder to create (default: ./modelport-NAME)")
    return p


def _llm(args: argparse.Namespace, spec: str) -> Any:
    from ._client import LLM

    kw: dict[str, Any] = {}
    if getattr(args, "max_tokens", None) is not None:
        kw["max_tokens"] = args.max_tokens
    if getattr(args, "temperature", None) is not None:
        kw["temperature"] = args.temperature
    return LLM(
        spec,
        api_key=args.api_key,
        base_url=args.base_url,
        timeout=getattr(args, "timeout", None),
        cache="never" if getattr(args, "no_cache", False) else "auto",
        **kw,
    )


def _cmd_plugins() -> int:
    from .plugins import list_plugins

    print(json.dumps(list_plugins(), indent=2))
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from ._host._plugins import default_host

    if not args.model:
        providers = sorted(default_host().registry().providers)
        print(json.dumps({"providers": providers}, indent=2))
        return 0
    from ._profiles._show import profile_block, profile_json, profile_table

    one = ":" in args.model
    spec = args.model if one else f"{args.model}:-"
    with _llm(args, spec) as llm:
        names = [llm.model] if one else llm.models()
        rows = [(f"{llm.provider_name}:{n}", llm.model_info(n)) for n in names]
    if args.json:
        print(json.dumps([{"model": s, **profile_json(p)} for s, p in rows], indent=2))
    elif one:
        print(profile_block(*rows[0]))
    elif rows:
        print(profile_table(rows))
    return 0


def _cmd_prompt(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    out = sys.stdout
    with _llm(args, args.model) as llm:
        if args.no_stream:
            response = llm.complete(text, system=args.system)
            if args.show_reasoning and response.reasoning:
                print(response.reasoning, file=sys.stderr)
            out.write(response.text + "\n")
        else:
            response = None
            reasoning_open = False
            for ev in llm.stream(text, system=args.system):
                if ev.type == "answer":
                    if reasoning_open:  # end the reasoning line before the answer starts
                        sys.stderr.write("\n")
                        reasoning_open = False
                    out.write(ev.content)
                    out.flush()
                elif ev.type == "reasoning" and args.show_reasoning:
                    if not reasoning_open:
                        sys.stderr.write("[reasoning] ")
                        reasoning_open = True
                    sys.stderr.write(ev.content)
                    sys.stderr.flush()
                elif ev.type == "final":
                    response = ev.content
            out.write("\n")
        if args.usage and response is not None:
            u = response.usage
            cost, saved = response.cost, response.cost_saved
            print(
                f"[{response.stop_reason}] input={u.input_tokens} output={u.output_tokens} "
                f"reasoning={u.reasoning_tokens} cached={u.cached_tokens}"
                + (f" cost={cost}" if cost is not None else "")
                + (f" saved={saved}" if saved is not None else ""),
                file=sys.stderr,
            )
    return 0


def _cmd_config(args: argparse.Namespace) -> int:
    from ._config import config_path, describe

    if args.path:
        print(config_path()[0])
        return 0
    print(json.dumps(describe(), indent=2))  # secrets redacted: api_key, secret-like headers
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "plugins":
            return _cmd_plugins()
        if args.command == "models":
            return _cmd_models(args)
        if args.command == "config":
            return _cmd_config(args)
        if args.command == "new-plugin":
            from ._new_plugin import run

            return run(args.name, args.dir)
        return _cmd_prompt(args)
    except ConfigurationError as exc:
        print(f"modelport: configuration error: {exc}", file=sys.stderr)
        return 2
    except LLMError as exc:
        print(f"modelport: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
