"""A runtime with three `/next` requests open at once, whatever AWS_LAMBDA_MAX_CONCURRENCY
says: each thread holds its invocation 300 ms before answering it with its event. The most
invocations it held at once goes to the file named by HELD_FILE after each answer."""
import os
import threading
import time
import urllib.request

API = 'http://{}/2018-06-01/runtime'.format(os.environ['AWS_LAMBDA_RUNTIME_API'])
lock = threading.Lock()
held = 0
most = 0


def serve():
    global held, most
    while True:
        with urllib.request.urlopen(API + '/invocation/next') as reply:
            request_id = reply.headers['Lambda-Runtime-Aws-Request-Id']
            event = reply.read()
        with lock:
            held += 1
            most = max(most, held)
        time.sleep(0.3)
        with lock:
            held -= 1
            # Written aside and renamed, so the test never reads a half-written file.
            partial = os.environ['HELD_FILE'] + '.partial'
            with open(partial, 'w') as out:
                out.write(str(most))
            os.replace(partial, os.environ['HELD_FILE'])
        request = urllib.request.Request(
            API + '/invocation/{}/response'.format(request_id), data=event, method='POST')
        urllib.request.urlopen(request).read()


threads = [threading.Thread(target=serve) for _ in range(3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
