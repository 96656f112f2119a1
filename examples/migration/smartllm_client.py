"""SmartLLM's ``LLMClient``: text and message requests, streaming, structured output, API types.

    python examples/migration/smartllm_client.py --base-url http://127.0.0.1:8080/v1

Guide: docs/migration/smartllm.md. ``LLMClient(provider="openai")`` plus
``TextRequest(api_type=...)`` is one ``mp.LLM`` per API: ``openai-responses:<model>`` (SmartLLM's
default ``api_type="responses"``) or ``openai-chat:<model>`` (``"chat_completions"``).
"""

from __future__ import annotations

import argparse
import asyncio

import modelport as mp
from pydantic import BaseModel

NO_THINK = {"chat_template_kwargs": {"enable_thinking": False}}


class Person(BaseModel):
    name: str
    age: int
    occupation: str


async def main(base_url: str) -> None:
    # LLMConfig(provider="openai", api_key=..., default_model=..., temperature=0.7,
    #           max_tokens=2048, max_retries=3) + LLMClient(config, max_concurrent=5)
    async with (
        mp.LLM(
            "openai-responses:tiny",
            base_url=base_url,
            api_key="sk-local",
            temperature=0,
            max_tokens=64,
            retry=3,
            limits=mp.Limits(max_concurrency=5),
        ) as client,
        mp.LLM("openai-chat:tiny", base_url=base_url, temperature=0, max_tokens=64) as chat,
    ):
        # generate_text(TextRequest(prompt=..., system_prompt=...))
        r = await client.acomplete("What is the capital of France?", system="Be brief.")
        print("responses api:", r.text)
        r = await chat.acomplete("What is the capital of France?")  # api_type="chat_completions"
        print("chat completions:", r.text)

        # send_message(MessageRequest(messages=[Message(role=..., content=...)]))
        messages = [
            mp.Message.user("My name is Alice."),
            mp.Message.assistant("Nice to meet you, Alice!"),
            mp.Message.user("What's my name?"),
        ]
        print("multi-turn:", (await client.acomplete(messages)).text)

        # generate_text_stream(TextRequest(prompt=..., stream=True)): chunk.text -> event.content
        text = ""
        async for event in client.astream("Write a short poem about Python."):
            if event.type == "answer":
                text += event.content
        print("stream:", text)

        # response_format=Person -> response.structured_data is response.structured
        r = await chat.acomplete(
            "Generate a person profile for a software engineer named John, age 30.",
            response_format=Person,
            extra_body=NO_THINK,
            max_tokens=200,
        )
        print("structured:", type(r.structured).__name__)

        # response.metadata["reasoning_tokens"] -> response.usage.reasoning_tokens
        print("usage:", r.usage.input_tokens > 0, r.usage.reasoning_tokens)

        # asyncio.gather of generate_text(...) -> acomplete; max_concurrent -> mp.Limits
        results = await asyncio.gather(*(client.acomplete(f"Question {i}") for i in range(3)))
        print("concurrent:", [x.text for x in results].count("Hello from tiny model."))

        # OpenAILLMClient(...).list_available_models() -> llm.models()
        print("models:", chat.models())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8080/v1")
    asyncio.run(main(parser.parse_args().base_url))
