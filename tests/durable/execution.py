"""One durable execution of a handler on AWS's local durable service, run to its end.

usage: execution.py BINARY HANDLER INPUT_JSON; prints one JSON object: the execution's
status, result and error, and the events of its history (type, subtype, name).
"""

import json
import sys
import time
import uuid

from dex import serve, start_dex, start_execution


def main() -> int:
    binary, handler, payload = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    dex, client = start_dex()
    function = serve(binary, handler, dex)
    try:
        arn = start_execution(dex, function, payload, f"{handler}-{uuid.uuid4()}")
        deadline = time.monotonic() + 60
        while (execution := client.get_durable_execution(DurableExecutionArn=arn))["Status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{handler} still running after 60 s:\n{function.output()}")
            time.sleep(0.05)
        events = client.get_durable_execution_history(DurableExecutionArn=arn, IncludeExecutionData=True)["Events"]
        print(json.dumps({
            "status": execution["Status"],
            "result": json.loads(execution["Result"]) if execution.get("Result") else None,
            "error": execution.get("Error"),
            "events": [[e["EventType"], e.get("SubType"), e.get("Name")] for e in events],
        }))
        return 0
    finally:
        function.stop()


if __name__ == "__main__":
    sys.exit(main())
