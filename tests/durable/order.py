"""The order workflow example (`examples/order_workflow.rs`) end to end on AWS's local
durable service: started, suspended on its wait and its approval callback, the callback
completed with boto3 as an outside system would, resumed to the end.

usage: order.py BINARY; prints one JSON object: the execution's status and result, the
events of its history (type, subtype, name) and how many invocations it took.
"""

import json
import sys
import time
import uuid

from dex import serve, start_dex, start_execution


def main() -> int:
    dex, client = start_dex()
    function = serve(sys.argv[1], "order_workflow", dex)
    try:
        arn = start_execution(dex, function, {"order_id": "o-1", "items": ["book", "pen", "lamp"]},
                              f"order-{uuid.uuid4()}")
        callback_id = wait_for(client, arn, lambda events: next(
            (e["CallbackStartedDetails"]["CallbackId"] for e in events
             if e["EventType"] == "CallbackStarted"), None))
        # The approval, from outside the function, as a person's tool would send it.
        client.send_durable_execution_callback_success(
            CallbackId=callback_id, Result=json.dumps({"approved": True, "by": "ada"}).encode())
        wait_for(client, arn, lambda events: any(
            e["EventType"] in ("ExecutionSucceeded", "ExecutionFailed") for e in events) or None)
        execution = client.get_durable_execution(DurableExecutionArn=arn)
        events = client.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
        print(json.dumps({
            "status": execution["Status"],
            "result": json.loads(execution.get("Result") or "null"),
            "events": [[e["EventType"], e.get("SubType"), e.get("Name")] for e in events],
            "invocations": sum(e["EventType"] == "InvocationCompleted" for e in events),
            "output": function.output(),
        }))
        return 0
    finally:
        function.stop()


def wait_for(client, arn, found, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = client.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
        if (value := found(events)) is not None:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"the execution did not get there in {timeout} s: {events}")


if __name__ == "__main__":
    sys.exit(main())
