"""AWS's local durable-execution service (`dex-local-runner`, from the PyPI package
`aws-durable-execution-sdk-python-testing`) in this process, and a handler binary's
`--serve` for it to invoke; or `--serve` as the service itself: what `conformance.py`,
`execution.py` and `order.py` share."""

import json
import os
import subprocess
import threading
import uuid
from urllib.request import Request, urlopen

import boto3


def start_dex(durable_targets=()):
    """The service on a port the OS picks (it is listening when this returns): its URL and a
    boto3 Lambda client for it. `durable_targets` are the durable functions chained invokes
    may name (dex-local-runner's `--function-configs`): it invokes them by name at the
    runner's one Lambda endpoint (see `point_at`). The client's `stop()` ends the service.
    Waits take their
    real time: with `skip_time` the service completes a wait before the invocation that
    started it ends, an order of events AWS's service never records."""
    from aws_durable_execution_sdk_python_testing.child_dispatcher import FunctionConfigs
    from aws_durable_execution_sdk_python_testing.runner import WebRunner, WebRunnerConfig
    from aws_durable_execution_sdk_python_testing.stores.base import StoreType
    from aws_durable_execution_sdk_python_testing.web.server import WebServiceConfig

    # The service invokes the handlers with boto3: any credentials, no instance metadata.
    os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local",
                      AWS_DEFAULT_REGION="us-west-2", AWS_EC2_METADATA_DISABLED="true")
    runner = WebRunner(
        WebRunnerConfig(
            web_service=WebServiceConfig(host="127.0.0.1", port=0, log_level="WARNING"),
            store_type=StoreType.MEMORY,
            skip_time=False,
            function_configs=FunctionConfigs.from_dict(
                {name: {"DurableConfig": {}} for name in durable_targets}),
        )
    )
    runner.start()
    threading.Thread(target=runner.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{runner._server.server_address[1]}"
    client = DexClient(lambda_client(url))
    client.stop = runner.stop
    return url, client


def lambda_client(url):
    """boto3's Lambda client for a local endpoint: any credentials, and no retries, so a
    refused call is seen as it was answered."""
    from botocore.config import Config
    return boto3.client("lambda", endpoint_url=url, region_name="us-west-2",
                        aws_access_key_id="local", aws_secret_access_key="local",
                        config=Config(retries={"max_attempts": 1}))


def point_at(dex, function):
    """Points the service's own Lambda endpoint, where it invokes chained invokes' targets,
    at `function` (a `--serve`, which serves each handler of its binary by name), with its
    `PUT /lambda-endpoint`."""
    request = Request(f"{dex}/lambda-endpoint", method="PUT",
                      data=json.dumps({"EndpointUrl": function.endpoint}).encode(),
                      headers={"Content-Type": "application/json"})
    with urlopen(request, timeout=10):
        pass


def start_execution(dex, function, payload, name):
    """Starts a durable execution of the function behind `function` (a `serve`): its ARN."""
    started = post_json(f"{dex}/start-durable-execution", {
        "AccountId": "123456789012",
        # `--serve` answers to `function` (and its binary's name), whatever `_HANDLER` picks.
        "FunctionName": "function",
        "FunctionQualifier": "$LATEST",
        "ExecutionName": name,
        "ExecutionTimeoutSeconds": 300,
        "ExecutionRetentionPeriodDays": 1,
        "Input": json.dumps(payload),
        "LambdaEndpoint": function.endpoint,
    })
    return started["ExecutionArn"]


class DexClient:
    """The boto3 client of dex-local-runner, with one difference from AWS's service made up:
    dex-local-runner 1.4.0 records `InvocationCompleted` events without the
    `InvocationCompletedDetails` AWS's service gives them (start, end, request id), which the
    requirements only ask to be present (`{}`); an empty one is added."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def get_durable_execution_history(self, **kwargs):
        history = self._client.get_durable_execution_history(**kwargs)
        for event in history.get("Events", []):
            if event.get("EventType") == "InvocationCompleted":
                event.setdefault("InvocationCompletedDetails", {})
        return history


class serve:
    """The handler binary's `--serve`, on a port the OS picks, its SDK calls sent to `dex`, or
    with `dex` None to the emulator itself, which then runs the executions."""

    def __init__(self, binary, handler, dex, args=(), command=None):
        env = dict(os.environ, _HANDLER=handler,
                   AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_REGION="us-west-2")
        env.pop("AWS_ENDPOINT_URL_LAMBDA", None)
        if dex is not None:
            env["AWS_ENDPOINT_URL_LAMBDA"] = dex
        command = command or [binary, "--serve", "127.0.0.1:0", *args]
        self.process = subprocess.Popen(command, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = []
        # Ready when it prints its Invoke API address (it binds before it prints).
        for line in self.process.stderr:
            self.lines.append(line)
            if "invoke with POST " in line:
                url = line.split("invoke with POST ", 1)[1].strip()
                self.endpoint = url.split("/2015-03-31/")[0]
                break
        else:
            raise RuntimeError("the handler's --serve ended before it listened:\n" + "".join(self.lines))
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.process.stderr:
            self.lines.append(line)

    def output(self):
        return "".join(self.lines[-40:])

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def serve_on(binary, handler, service, args=()):
    """A handler's `--serve` and the boto3 client that follows its executions: on
    dex-local-runner (SERVICE `dex`, started here) or on the emulator (`emulator`)."""
    if service == "dex":
        dex, client = start_dex()
        function = serve(binary, handler, dex, args)
        function.dex = dex
        return function, client
    function = serve(binary, handler, None, args)
    function.dex = None
    return function, lambda_client(function.endpoint)


def start(function, client, payload, name):
    """Starts an execution of `function` with `payload`: its ARN. On the emulator with boto3's
    `invoke`, as on Lambda."""
    if function.dex is not None:
        return start_execution(function.dex, function, payload, f"{name}-{uuid.uuid4()}")
    started = client.invoke(FunctionName="function", InvocationType="Event",
                            Payload=json.dumps(payload).encode())
    return started["DurableExecutionArn"]


def follow(client, arn):
    """The execution's whole history, every page, with its data."""
    events, marker = [], None
    while True:
        page = client.get_durable_execution_history(
            DurableExecutionArn=arn, IncludeExecutionData=True, **({"Marker": marker} if marker else {}))
        events += page.get("Events", [])
        if not (marker := page.get("NextMarker")):
            return events


def post_json(url, body):
    request = Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urlopen(request, timeout=10) as response:
        return json.loads(response.read())
