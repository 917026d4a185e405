"""A runtime that survives the kill after a timeout: the emulator starts it through `sh`, and
SIGKILL ends only the shell. An invocation whose event is "sleep" outlasts the timeout; its
late answer is refused, and then this runtime asks for `/next` again, as a runtime racing its
kill would, writing ASKING_FILE first. Any invocation it gets after that is answered
{"from": "killed runtime"}: one a reset environment should never have handed out. Other
invocations are answered {"pid": <its pid>}."""
import json
import os
import time
import urllib.error
import urllib.request

API = 'http://{}/2018-06-01/runtime'.format(os.environ['AWS_LAMBDA_RUNTIME_API'])


def answer(request_id, value):
    request = urllib.request.Request(API + '/invocation/{}/response'.format(request_id),
                                     data=json.dumps(value).encode(), method='POST')
    try:
        urllib.request.urlopen(request).read()
    except urllib.error.HTTPError:
        pass


killed = False
while True:
    if killed:
        with open(os.environ['ASKING_FILE'], 'w') as out:
            out.write(str(os.getpid()))
    try:
        with urllib.request.urlopen(API + '/invocation/next', timeout=20) as reply:
            request_id = reply.headers['Lambda-Runtime-Aws-Request-Id']
            event = json.loads(reply.read())
    except Exception:
        break
    if killed:
        answer(request_id, {'from': 'killed runtime'})
        break
    if event == 'sleep':
        time.sleep(1.5)
        answer(request_id, {'slept': True})
        killed = True
    else:
        answer(request_id, {'pid': os.getpid()})
