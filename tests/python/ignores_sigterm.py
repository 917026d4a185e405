"""A runtime that ignores SIGTERM and SIGINT (as a runtime stuck in native code would), so only
SIGKILL ends it. It writes its pid to PID_FILE, then answers every invocation "ok"."""
import os
import signal
import urllib.request

signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
API = 'http://{}/2018-06-01/runtime'.format(os.environ['AWS_LAMBDA_RUNTIME_API'])
partial = os.environ['PID_FILE'] + '.partial'
with open(partial, 'w') as out:
    out.write(str(os.getpid()))
os.replace(partial, os.environ['PID_FILE'])
while True:
    with urllib.request.urlopen(API + '/invocation/next') as reply:
        request_id = reply.headers['Lambda-Runtime-Aws-Request-Id']
        reply.read()
    answer = urllib.request.Request(API + '/invocation/{}/response'.format(request_id),
                                    data=b'"ok"', method='POST')
    urllib.request.urlopen(answer).read()
