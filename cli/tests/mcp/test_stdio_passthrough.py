"""Everything other than tools/call passes through the proxy untouched:
the reference server's resources, prompts, pings, progress, cancellation,
logging, and the requests the server sends the client (sampling,
elicitation, roots)."""

import json

import anyio
import mcp.types as types
import pytest

from conftest import everything, proxied, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_initialize_lists_resources_prompts_and_ping(tmp_path):
    async with proxied(everything()) as s:
        caps = s.get_server_capabilities()
        assert caps.tools and caps.resources and caps.prompts
        names = {t.name for t in (await s.list_tools()).tools}
        assert {"echo", "get-sum", "trigger-long-running-operation"} <= names
        resources = (await s.list_resources()).resources
        assert resources
        read = await s.read_resource(resources[0].uri)
        assert read.contents
        templates = (await s.list_resource_templates()).resourceTemplates
        assert templates
        prompts = (await s.list_prompts()).prompts
        simple = next(p for p in prompts if not p.arguments)
        got = await s.get_prompt(simple.name)
        assert got.messages
        assert isinstance(await s.send_ping(), types.EmptyResult)
        structured = await s.call_tool("get-structured-content", {"location": "New York"})
        assert structured.structuredContent, "structured content passes through"


async def test_progress_notifications_reach_the_client(tmp_path):
    seen = []

    async def progress(value, total, message):
        seen.append((value, total))

    async with proxied(everything()) as s:
        result = await s.call_tool(
            "trigger-long-running-operation", {"duration": 0.3, "steps": 3}, progress_callback=progress
        )
    assert "completed" in text_of(result)
    assert seen == [(1, 3), (2, 3), (3, 3)]


async def test_a_cancelled_call_is_recorded_as_cancelled(tmp_path):
    report = tmp_path / "report.json"
    async with proxied(everything(), report=report) as s:
        started = anyio.Event()

        async def progress(value, total, message):
            started.set()

        request_id = s._request_id  # the id the SDK gives the next request
        async with anyio.create_task_group() as tg:
            async def call():
                await s.call_tool(
                    "trigger-long-running-operation", {"duration": 30, "steps": 30}, progress_callback=progress
                )

            tg.start_soon(call)
            with anyio.fail_after(10):
                await started.wait()
            await s.send_notification(
                types.ClientNotification(
                    types.CancelledNotification(
                        params=types.CancelledNotificationParams(requestId=request_id, reason="user stopped it")
                    )
                )
            )
            tg.cancel_scope.cancel()
        # The session goes on after the cancellation.
        assert text_of(await s.call_tool("echo", {"message": "after"})) == "Echo: after"
    stats = json.loads(report.read_text())["stats"]
    assert stats["tool_calls_failed"] == 1, "the cancelled call counts as a failed one"
    assert stats["tool_calls_executed"] == 2
    assert stats["pending_calls"] == 0


async def test_requests_from_the_server_to_the_client_pass_through(tmp_path):
    # Sampling, elicitation and roots are requests the server sends the
    # client in the middle of a tools/call: the proxy relays them both ways
    # and the call's own answer still comes back, recorded by the guard.
    asked = []

    async def sampling(context, params: types.CreateMessageRequestParams):
        asked.append("sampling")
        return types.CreateMessageResult(role="assistant", model="scripted",
                                         content=types.TextContent(type="text", text="sampled by the client"))

    async def elicitation(context, params):
        asked.append("elicitation")
        return types.ElicitResult(action="accept", content={"name": "Ada Lovelace"})

    async def roots(context):
        asked.append("roots")
        return types.ListRootsResult(roots=[types.Root(uri="file:///srv/agent", name="agent home")])

    report = tmp_path / "report.json"
    async with proxied(everything(), report=report, sampling_callback=sampling,
                       elicitation_callback=elicitation, list_roots_callback=roots) as s:
        names = {t.name for t in (await s.list_tools()).tools}
        assert {"trigger-sampling-request", "trigger-elicitation-request", "get-roots-list"} <= names
        sampled = await s.call_tool("trigger-sampling-request", {"prompt": "hello"})
        assert "sampled by the client" in text_of(sampled)
        elicited = await s.call_tool("trigger-elicitation-request", {})
        assert "Ada Lovelace" in text_of(elicited)
        listed = await s.call_tool("get-roots-list", {})
        assert "file:///srv/agent" in text_of(listed)
        await s.set_logging_level("debug")
    assert {"sampling", "elicitation", "roots"} <= set(asked)
    stats = json.loads(report.read_text())["stats"]
    assert (stats["tool_calls_executed"], stats["pending_calls"]) == (3, 0)
