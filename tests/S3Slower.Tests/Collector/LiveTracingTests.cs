using S3Slower.Collector.Cli;
using S3Slower.Collector.Tracing;
using S3Slower.Shared.Protocol;
using S3Slower.Tests.Servers;
using Process = System.Diagnostics.Process;
using ProcessStartInfo = System.Diagnostics.ProcessStartInfo;
using Stopwatch = System.Diagnostics.Stopwatch;

namespace S3Slower.Tests.Tracing;

/// <summary>The real BPF programs against real sockets (needs root; the CI runs as root).</summary>
public sealed class LiveTracingTests
{
    /// <summary>The rest of a request line and an S3-signed head, as Python bytes-literal source.</summary>
    private const string S3Head = "HTTP/1.1\\r\\nHost: x\\r\\nx-amz-date: 20250101T000000Z\\r\\n\\r\\n";

    private static bool IsRoot => Environment.UserName == "root";

    [Fact]
    public async Task KeepAliveRequestsAreEachReportedOnceWithOrderedEdges()
    {
        if (!IsRoot)
        {
            return;
        }

        using var server = new EchoHttpServer();
        var sink = new CollectingSink();
        var ours = new HashSet<int>();
        using (TracingSession session = TracingSession.Start(new TraceOptions { Comms = ["curl"] }, sink, TextWriter.Null))
        {
            Assert.Contains(session.Programs, p => p.Hook == "tp_btf/sock_send_length");

            // One curl, three URLs: one keep-alive connection. The last URL is plain HTTP without S3 signing.
            string url = $"http://127.0.0.1:{server.Port}";
            ours.Add(await RunCurlAsync("-s", "-o", "/dev/null", "-H", "Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=abc",
                $"{url}/bucket/key0", $"{url}/bucket/key1", $"{url}/bucket/key2"));
            ours.Add(await RunCurlAsync("-s", "-o", "/dev/null", $"{url}/plain"));
            await WaitForAsync(() => sink.Events.Count(e => ours.Contains(e.Pid)) >= 3);
        }

        // Other tests run curl at the same time: only this test's processes count.
        RequestEvent[] events = [.. sink.Events.Where(e => ours.Contains(e.Pid))];
        Assert.Equal(3, events.Length);
        for (int i = 0; i < 3; i++)
        {
            RequestEvent e = events[i];
            Assert.Equal("GET", e.Method);
            Assert.Equal($"/bucket/key{i}", e.Target);
            Assert.Equal(200, e.Status);
            Assert.Equal(EchoHttpServer.Body.Length, e.ResponseBodyBytes);
            Assert.Equal($"key{i}", e.RequestId);
            Assert.Equal("curl", e.Comm);
            Assert.True(e.RequestStartNs <= e.RequestEndNs && e.RequestEndNs <= e.ResponseStartNs && e.ResponseStartNs <= e.ResponseEndNs);
            Assert.Equal(events[0].ConnectionId, e.ConnectionId);
            Assert.StartsWith("127.0.0.1:", e.Peer, StringComparison.Ordinal);
            Assert.Equal(RequestFlags.None, e.Flags);
        }

        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        Assert.InRange(events[0].RequestStartNs, now - 60_000_000_000, now);
    }

    [Fact]
    public async Task LastRequestOfAnIdlePooledConnectionIsReportedBeforeTheConnectionCloses()
    {
        if (!IsRoot)
        {
            return;
        }

        using var server = new EchoHttpServer();
        var sink = new CollectingSink();
        using TracingSession session = TracingSession.Start(new TraceOptions { Comms = ["python3"] }, sink, TextWriter.Null);

        // The client keeps its connection open for 4 s after reading the response.
        string script = "import http.client,sys,time\n" +
                        $"c=http.client.HTTPConnection('127.0.0.1',{server.Port})\n" +
                        "c.request('GET','/bucket/idle',headers={'x-amz-date':'20250101T000000Z'})\n" +
                        "r=c.getresponse();r.read();print('read',flush=True);time.sleep(4);c.close()\n";
        using Process client = StartPython(script);
        Assert.Equal("read", await client.StandardOutput.ReadLineAsync());
        var sinceRead = Stopwatch.StartNew();
        // Other tests run python3 clients at the same time (boto3 among them): only this client's events count.
        await WaitForAsync(() => sink.Events.Any(ev => ev.Pid == client.Id));
        Assert.False(client.HasExited, "the request must be reported while the connection is still open");
        Assert.True(sinceRead.Elapsed < TimeSpan.FromSeconds(2), $"reported {sinceRead.Elapsed} after the response was read");
        RequestEvent e = Assert.Single(sink.Events, ev => ev.Pid == client.Id);
        Assert.Equal("/bucket/idle", e.Target);
        Assert.Equal(EchoHttpServer.Body.Length, e.ResponseBodyBytes);
        client.Kill();
    }

    [Fact]
    public async Task AnUploadWhoseFirstWriteBlocksIsTimedFromTheStartOfThatWrite()
    {
        if (!IsRoot)
        {
            return;
        }

        // One write of head + 8 MiB body to a server that waits 300 ms before reading: the write blocks for buffer
        // space. The request starts when that write starts (tcp_sendmsg_locked), not when it returns.
        var sink = new CollectingSink();
        using TracingSession session = TracingSession.Start(new TraceOptions { Comms = ["s3sblockedput"] }, sink, TextWriter.Null);
        string script = "import socket,threading,time\n" +
                        "open('/proc/self/comm','w').write('s3sblockedput')\n" +
                        "srv=socket.socket();srv.bind(('127.0.0.1',0));srv.listen(1)\n" +
                        "body=b'x'*(8<<20)\n" +
                        "def serve():\n" +
                        "  c,_=srv.accept();time.sleep(0.3);got=b''\n" +
                        "  while b'\\r\\n\\r\\n' not in got: got+=c.recv(65536)\n" +
                        "  n=len(got.split(b'\\r\\n\\r\\n',1)[1])\n" +
                        "  while n<len(body): n+=len(c.recv(1<<20))\n" +
                        "  c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n');time.sleep(0.5);c.close()\n" +
                        "threading.Thread(target=serve,daemon=True).start()\n" +
                        "cl=socket.create_connection(srv.getsockname())\n" +
                        "req=b'PUT /bucket/blocked HTTP/1.1\\r\\nHost: x\\r\\nx-amz-content-sha256: UNSIGNED-PAYLOAD\\r\\nContent-Length: %d\\r\\n\\r\\n'%len(body)+body\n" +
                        "t0=time.monotonic_ns();cl.sendall(req);t1=time.monotonic_ns()\n" +
                        "cl.recv(4096);print(t1-t0,flush=True);time.sleep(0.2);cl.close()\n";
        using Process client = StartPython(script);
        long clientWriteNs = long.Parse(await client.StandardOutput.ReadLineAsync() ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        await client.WaitForExitAsync();
        await WaitForAsync(() => !sink.Events.IsEmpty);

        RequestEvent e = Assert.Single(sink.Events);
        Assert.Equal("/bucket/blocked", e.Target);
        Assert.Equal(8L << 20, e.RequestBodyBytes);
        Assert.True(clientWriteNs > 250_000_000, $"the write did not block (took {clientWriteNs} ns): the test proves nothing");
        long tracedUploadNs = e.RequestEndNs - e.RequestStartNs;
        Assert.InRange(tracedUploadNs, clientWriteNs - Math.Max(clientWriteNs / 50, 1_000_000), clientWriteNs + 1_000_000);
    }

    [Fact]
    public async Task AClientThatShutsDownItsSendingSideStillHasItsResponseTimed()
    {
        if (!IsRoot)
        {
            return;
        }

        // shutdown(SHUT_WR) after the request puts the socket in FIN_WAIT1 like close(2) does; only close ends it.
        using var server = new EchoHttpServer();
        var sink = new CollectingSink();
        using TracingSession session = TracingSession.Start(new TraceOptions { Comms = ["s3shalfclose"] }, sink, TextWriter.Null);
        string script = "import socket\n" +
                        "open('/proc/self/comm','w').write('s3shalfclose')\n" +
                        $"s=socket.create_connection(('127.0.0.1',{server.Port}))\n" +
                        "s.sendall(b'GET /bucket/half HTTP/1.1\\r\\nHost: x\\r\\nx-amz-date: 20250101T000000Z\\r\\n\\r\\n')\n" +
                        "s.shutdown(socket.SHUT_WR)\n" +
                        "got=b''\n" +
                        "while True:\n" +
                        "  b=s.recv(65536)\n" +
                        "  if not b: break\n" +
                        "  got+=b\n" +
                        "print(len(got),flush=True);s.close()\n";
        using (Process client = StartPython(script))
        {
            Assert.NotEqual("0", await client.StandardOutput.ReadLineAsync());
            await client.WaitForExitAsync();
        }

        await WaitForAsync(() => !sink.Events.IsEmpty);
        RequestEvent e = Assert.Single(sink.Events);
        Assert.Equal("/bucket/half", e.Target);
        Assert.Equal(200, e.Status);
        Assert.Equal(EchoHttpServer.Body.Length, e.ResponseBodyBytes);
        Assert.False(e.Flags.HasFlag(RequestFlags.Incomplete), e.Flags.ToString());
    }

    [Fact]
    public async Task ARequestSentByANamedWorkerThreadCarriesTheProcessName()
    {
        if (!IsRoot)
        {
            return;
        }

        // Runtimes name the threads that do the I/O (".NET TP Worker", "pool-1-thread-3"): --comm and the reported
        // name are the process's, or neither would ever match an application by its name.
        using var server = new EchoHttpServer();
        var sink = new CollectingSink();
        using TracingSession session = TracingSession.Start(new TraceOptions { Comms = ["s3snamedproc"] }, sink, TextWriter.Null);
        string script = "import socket, threading\n" +
                        "open('/proc/self/comm','w').write('s3snamedproc')\n" +
                        "def work():\n" +
                        "  open('/proc/self/task/%d/comm' % threading.get_native_id(),'w').write('s3sworkerthread')\n" +
                        $"  s=socket.create_connection(('127.0.0.1',{server.Port}))\n" +
                        $"  s.sendall(b'GET /bucket/worker {S3Head}')\n" +
                        "  print(len(s.recv(65536)),flush=True)\n" +
                        "  s.close()\n" +
                        "t=threading.Thread(target=work);t.start();t.join()\n";
        using (Process client = StartPython(script))
        {
            Assert.NotEqual("0", await client.StandardOutput.ReadLineAsync());
            await client.WaitForExitAsync();
        }

        await WaitForAsync(() => !sink.Events.IsEmpty);
        RequestEvent e = Assert.Single(sink.Events);
        Assert.Equal("/bucket/worker", e.Target);
        Assert.Equal("s3snamedproc", e.Comm);
    }

    [Fact]
    public async Task AClientThatExitsWhileAwaitingItsResponseIsReportedAtOnce()
    {
        if (!IsRoot)
        {
            return;
        }

        // A server that accepts and never answers; the client sends its request and dies without close(2).
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        int port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        var sink = new CollectingSink();
        using TracingSession session = TracingSession.Start(new TraceOptions { Comms = ["python3"] }, sink, TextWriter.Null);
        string script = "import socket,os\n" +
                        $"s=socket.create_connection(('127.0.0.1',{port}))\n" +
                        "s.sendall(b'GET /bucket/abandoned HTTP/1.1\\r\\nHost: x\\r\\nx-amz-date: 20250101T000000Z\\r\\n\\r\\n')\n" +
                        "os._exit(0)\n";
        int pid;
        using (Process client = StartPython(script))
        {
            pid = client.Id;
            await client.WaitForExitAsync();
            Assert.Equal(0, client.ExitCode);
        }

        // Without the exit record this request would wait for the awaiting-response timeout (minutes).
        var sinceExit = Stopwatch.StartNew();
        await WaitForAsync(() => sink.Events.Any(ev => ev.Pid == pid));
        Assert.True(sinceExit.Elapsed < TimeSpan.FromSeconds(2), $"reported {sinceExit.Elapsed} after the process exited (or not at all)");
        RequestEvent e = Assert.Single(sink.Events, ev => ev.Pid == pid);
        Assert.Equal("/bucket/abandoned", e.Target);
        Assert.True(e.Flags.HasFlag(RequestFlags.Incomplete));
        Assert.Equal(0, e.Status);
    }

    [Fact]
    public async Task ASocketThatAnsweredAsAnHttpServerIsNeverTakenForAClient()
    {
        if (!IsRoot)
        {
            return;
        }

        // Both ends in one traced process, as in a web service that also calls S3. After its first answer, the
        // server's socket sends request-looking bytes: the kernel noted it as a server's socket and ignores them.
        RequestEvent[] events = await TracePythonAsync(
            "l=socket.create_server(('127.0.0.1',0))\n" +
            "c=socket.create_connection(l.getsockname())\n" +
            "s,_=l.accept()\n" +
            $"c.sendall(b'GET /bucket/asked {S3Head}')\n" +
            "s.recv(4096)\n" +
            "s.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok')\n" +
            "c.recv(4096)\n" +
            $"s.sendall(b'GET /bucket/from-server {S3Head}')\n" +
            "c.recv(4096)\n" +
            "s.close(); c.close()\n",
            "/bucket/asked");

        RequestEvent asked = Assert.Single(events, e => e.Target == "/bucket/asked");
        Assert.Equal(200, asked.Status);
        Assert.DoesNotContain(events, e => e.Target == "/bucket/from-server");
    }

    [Fact]
    public async Task AConnectionThatBeganWithAnotherProtocolIsNeverTakenForHttp()
    {
        if (!IsRoot)
        {
            return;
        }

        // A connection that opens with another protocol's bytes (here a Redis-like PING) is noted as not HTTP: later
        // request-looking bytes on it are ignored. A new connection of the same process is still traced.
        using var server = new EchoHttpServer();
        RequestEvent[] events = await TracePythonAsync(
            "l=socket.create_server(('127.0.0.1',0))\n" +
            "o=socket.create_connection(l.getsockname())\n" +
            "s,_=l.accept()\n" +
            "o.sendall(b'*1\\r\\n$4\\r\\nPING\\r\\n')\n" +
            $"o.sendall(b'GET /bucket/after-other {S3Head}')\n" +
            "o.close(); s.close()\n" +
            $"h=socket.create_connection(('127.0.0.1',{server.Port}))\n" +
            $"h.sendall(b'GET /bucket/plain {S3Head}')\n" +
            "h.recv(65536)\n" +
            "h.close()\n",
            "/bucket/plain");

        Assert.Single(events, e => e.Target == "/bucket/plain");
        Assert.DoesNotContain(events, e => e.Target == "/bucket/after-other");
    }

    [Fact]
    public async Task HttpLookingBytesOnAPipeAreNotARequest()
    {
        if (!IsRoot)
        {
            return;
        }

        using var server = new EchoHttpServer();
        var sink = new CollectingSink();
        using (TracingSession session = TracingSession.Start(new TraceOptions { Comms = ["curl", "sh", "cat"], AllHttp = true }, sink, TextWriter.Null))
        {
            var sh = new ProcessStartInfo("sh");
            sh.ArgumentList.Add("-c");
            sh.ArgumentList.Add("for i in 1 2 3; do printf 'GET /pipe HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' | cat > /dev/null; done");
            using (Process pipe = Process.Start(sh)!)
            {
                await pipe.WaitForExitAsync();
            }

            // Positive control in the same session: a real socket request is seen.
            await RunCurlAsync("-s", "-o", "/dev/null", $"http://127.0.0.1:{server.Port}/socket");
            await WaitForAsync(() => sink.Events.Any(e => e.Target == "/socket"));
        }

        // Other tests' curl requests may run meanwhile: only this test's targets are looked at.
        Assert.DoesNotContain(sink.Events, e => e.Target == "/pipe");
        Assert.Single(sink.Events, e => e.Target == "/socket");
    }

    /// <summary>
    /// Runs a python3 script (socket imported) traced with the S3 filter on. Its sockets are closed when it exits,
    /// so a request wrongly started on one is reported at once: the events are taken half a second after the one for
    /// <paramref name="expected"/> arrived. Only the script's own events are returned: other tests run python3 too.
    /// </summary>
    private static async Task<RequestEvent[]> TracePythonAsync(string script, string expected)
    {
        var sink = new CollectingSink();
        using TracingSession session = TracingSession.Start(new TraceOptions { Comms = ["python3"] }, sink, TextWriter.Null);
        int pid;
        using (Process python = StartPython("import socket\n" + script))
        {
            pid = python.Id;
            await python.WaitForExitAsync();
            Assert.Equal(0, python.ExitCode);
        }

        await WaitForAsync(() => sink.Events.Any(e => e.Pid == pid && e.Target == expected));
        await Task.Delay(500);
        return [.. sink.Events.Where(e => e.Pid == pid)];
    }

    private static Process StartPython(string script)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        return Process.Start(start)!;
    }

    private static async Task<int> RunCurlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process curl = Process.Start(start)!;
        await curl.WaitForExitAsync();
        Assert.Equal(0, curl.ExitCode);
        return curl.Id;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition() && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }
    }
}
