"""The order workflow example (`examples/order_workflow.rs`) end to end: started, suspended
on its wait and its approval callback, the callback completed from outside, resumed to the
end. On AWS's local durable service (SERVICE `dex`), the approval is sent with boto3; on our
emulator (`emulator`, `--serve` with ARGS such as `--skip-time`), it is started, approved
and read back with the AWS CLI, as the README does at a terminal.

usage: order.py SERVICE BINARY [ARGS...]; prints one JSON object: the execution's status and
result, the events of its history (type, subtype, name), the history itself and how many
invocations it took.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from dex import follow, serve_on, start


def main() -> int:
    service, binary = sys.argv[1], sys.argv[2]
    function, client = serve_on(binary, "order_workflow", service, sys.argv[3:])
    try:
        order = {"order_id": "o-1", "items": ["book", "pen", "lamp"]}
        if function.dex is not None:
            arn = start(function, client, order, "order")
        else:
            # As the README starts it: the CLI prints the execution's ARN.
            out = Path(os.environ.get("TMPDIR", "/tmp")) / f"order-{os.getpid()}.json"
            started = json.loads(aws(function, "invoke", "--function-name", "function",
                                     "--invocation-type", "Event", "--payload", json.dumps(order),
                                     str(out)))
            out.unlink(missing_ok=True)
            arn = started["DurableExecutionArn"]
        callback_id = wait_for(client, arn, lambda events: next(
            (e["CallbackStartedDetails"]["CallbackId"] for e in events
             if e["EventType"] == "CallbackStarted"), None))
        # The approval, from outside the function, as a person's tool would send it.
        approval = json.dumps({"approved": True, "by": "ada"})
        if function.dex is not None:
            client.send_durable_execution_callback_success(CallbackId=callback_id, Result=approval.encode())
        else:
            aws(function, "send-durable-execution-callback-success",
                "--callback-id", callback_id, "--result", approval)
        wait_for(client, arn, lambda events: any(
            e["EventType"] in ("ExecutionSucceeded", "ExecutionFailed") for e in events) or None)
        if function.dex is not None:
            execution = client.get_durable_execution(DurableExecutionArn=arn)
        else:
            execution = json.loads(aws(function, "get-durable-execution", "--durable-execution-arn", arn))
        if function.dex is not None:
            events = follow(client, arn)
        else:
            events = json.loads(aws(function, "get-durable-execution-history",
                                    "--durable-execution-arn", arn, "--include-execution-data"))["Events"]
        print(json.dumps({
            "status": execution["Status"],
            "result": json.loads(execution.get("Result") or "null"),
            "events": [[e["EventType"], e.get("SubType"), e.get("Name")] for e in events],
            "history": events,
            "invocations": sum(e["EventType"] == "InvocationCompleted" for e in events),
            "output": function.output(),
        }, default=str))
        return 0
    finally:
        function.stop()


def aws(function, command, *args):
    """The AWS CLI (version 1, from the tests' venv) against the emulator: its output."""
    cli = Path(sys.executable).parent / "aws"
    env = dict(os.environ, AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local",
               AWS_DEFAULT_REGION="us-west-2", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    ran = subprocess.run([cli, "lambda", command, "--endpoint-url", function.endpoint, *args],
                         env=env, capture_output=True, text=True, timeout=60)
    if ran.returncode != 0:
        raise RuntimeError(f"aws lambda {command} failed: {ran.stderr}")
    return ran.stdout


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
