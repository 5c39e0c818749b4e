using System.Text;
using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Tls;

/// <summary>
/// Only heads leave the kernel: object data written or read in the same call as a head, or after it, never reaches
/// the ring buffer, over plain HTTP and over TLS, while the requests are still measured whole. Root only.
/// </summary>
[Collection(TlsKernelCollection.Name)]
public sealed class HeadOnlyCaptureTests(TlsServerFixture server)
{
    private const int RecordHeader = 96;
    private const int TailOffset = RecordHeader - 8;
    private const string Marker = "OBJDATA!";
    private const int ObjectSize = 400 * 8;
    private const int SmallSize = 100 * 8;

    /// <summary>
    /// A raw-socket client and its own server thread, so that where heads and bodies meet in the sends and reads is
    /// the test's choice, not a library's buffering: heads sent with their body in one call, a body sent apart, heads
    /// and blank lines cut into pieces, a chunked terminator split over two reads, an interim head before the final one.
    /// </summary>
    private const string PlainScript = """
        import socket, sys, threading, time
        MARK = b'OBJDATA!'
        obj = MARK * 400
        err = b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>'
        srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)
        def serve():
            c, _ = srv.accept(); f = c.makefile('rb')
            while True:
                line = f.readline()
                if not line: return
                target = line.split(b' ')[1]; length = 0
                while True:
                    h = f.readline()
                    if h in (b'\r\n', b''): break
                    name, _, value = h.partition(b':')
                    if name.lower() == b'content-length': length = int(value)
                f.read(length)
                if target.endswith(b'/missing'):
                    c.sendall(b'HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\nx-amz-request-id: R404\r\n\r\n' % len(err) + err)
                elif target.endswith(b'/chunked'):
                    c.sendall(b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nx-amz-request-id: RCHUNK\r\n\r\n%x\r\n' % len(obj) + obj + b'\r\n0\r\n\r\n')
                elif target.endswith(b'/pieces-get'):
                    # The blank line and the terminator each split over two reads of the client.
                    c.sendall(b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nx-amz-request-id: RPIECES\r\n\r'); time.sleep(0.05)
                    c.sendall(b'\n%x\r\n' % len(obj) + obj + b'\r\n0\r'); time.sleep(0.05)
                    c.sendall(b'\n\r\n')
                elif target.endswith(b'/select'):
                    # An interim head and the final one in one send: the scan goes on past the first blank line.
                    c.sendall(b'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: %d\r\nx-amz-request-id: RSELECT\r\n\r\n' % len(obj) + obj)
                elif line.startswith(b'GET'):
                    c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\nx-amz-request-id: RGET\r\n\r\n' % len(obj) + obj)
                else:
                    c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nx-amz-request-id: RPUT\r\n\r\n')
        threading.Thread(target=serve, daemon=True).start()
        cl = socket.create_connection(srv.getsockname())
        def head(method, key, length):
            return b'%s /bucket/%s HTTP/1.1\r\nHost: x\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\nContent-Length: %d\r\n\r\n' % (method, key, length)
        def response(ends):
            got = b''
            while not ends(got): got += cl.recv(65536)
        def sized(got):
            h, sep, body = got.partition(b'\r\n\r\n')
            return sep and len(body) >= int(h.lower().split(b'content-length: ')[1].split(b'\r\n')[0])
        small = MARK * 100
        cl.sendall(head(b'PUT', b'small', len(small)) + small); response(sized)
        cl.sendall(head(b'PUT', b'split', len(obj))); cl.sendall(obj); response(sized)
        cl.sendall(head(b'GET', b'object', 0)); response(sized)
        cl.sendall(head(b'GET', b'missing', 0)); response(sized)
        cl.sendall(head(b'GET', b'chunked', 0)); response(lambda got: got.endswith(b'\r\n0\r\n\r\n'))
        # A head written in three pieces, its blank line split between the last two, the body after it.
        pieces = head(b'PUT', b'pieces', len(small))
        cl.sendall(pieces[:30]); cl.sendall(pieces[30:-1]); cl.sendall(pieces[-1:] + small); response(sized)
        # The blank line cut before each of its bytes, and sent a byte at a time: the scan carries the last bytes over.
        for i, cuts in enumerate(((1,), (2,), (3,), (3, 2, 1))):
            data = head(b'PUT', b'cut%d' % i, len(small)) + small; start = 0
            for n in cuts:
                end = len(data) - len(small) - n; cl.sendall(data[start:end]); start = end
            cl.sendall(data[start:]); response(sized)
        cl.sendall(head(b'POST', b'select', 0)); response(lambda got: got.endswith(obj))
        cl.sendall(head(b'GET', b'pieces-get', 0)); response(lambda got: got.endswith(b'\r\n0\r\n\r\n'))
        cl.close()
        """;

    [Fact]
    public void PlainHttpBodiesNeverLeaveTheKernel()
    {
        int pid = TlsServerFixture.Run("python3", "-c", PlainScript);

        var records = server.Harness.RecordsOf(pid);
        AssertNoObjectData(records, Marker);
        int piecesPut = records.FindIndex(r => r.Text.StartsWith("PUT /bucket/pieces ", StringComparison.Ordinal));
        int lastRequest = records.FindLastIndex(r => (r.Flags & RawRecord.FlagMethod) != 0);
        int afterPieces = records.FindIndex(piecesPut + 1, r => (r.Flags & RawRecord.FlagMethod) != 0);
        Assert.Equal(3, records[piecesPut..afterPieces].Count(r => r.Kind == RawRecord.KindWrite));
        Assert.True(records.Skip(lastRequest).Count(r => r.Kind == RawRecord.KindRead) >= 3, "the last response did not arrive in pieces: the test proves less");
        var events = server.Harness.Assemble(pid);
        string[] cuts = ["/bucket/cut0", "/bucket/cut1", "/bucket/cut2", "/bucket/cut3"];
        Assert.Equal(["/bucket/small", "/bucket/split", "/bucket/object", "/bucket/missing", "/bucket/chunked", "/bucket/pieces", .. cuts, "/bucket/select", "/bucket/pieces-get"], events.Select(e => e.Target));
        Assert.Equal([SmallSize, ObjectSize, 0, 0, 0, SmallSize, SmallSize, SmallSize, SmallSize, SmallSize, 0, 0], events.Select(e => e.RequestBodyBytes));
        Assert.Equal(["RPUT", "RPUT", "RGET", "R404", "RCHUNK", "RPUT", "RPUT", "RPUT", "RPUT", "RPUT", "RSELECT", "RPIECES"], events.Select(e => e.RequestId));
        Assert.Equal(ObjectSize, events[2].ResponseBodyBytes);
        RequestEvent select = events[^2];
        Assert.Equal(ObjectSize, select.ResponseBodyBytes);
        Assert.Equal(RequestFlags.Continue100, select.Flags);
        Assert.Contains(records, r => r.Kind == RawRecord.KindRead && r.Text.StartsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", StringComparison.Ordinal) && r.Text.EndsWith("\r\n\r\n", StringComparison.Ordinal));
        Assert.All(events.Where(e => e.Target != "/bucket/select"), e => Assert.Equal(RequestFlags.None, e.Flags));

        // An error's body is what names it: its start is still copied.
        Assert.Equal(404, events[3].Status);
        Assert.Equal("NoSuchKey", events[3].ErrorCode);
        Assert.Contains(records, r => r.Kind == RawRecord.KindRead && r.Text.Contains("<Code>NoSuchKey</Code>", StringComparison.Ordinal));
    }

    [Fact]
    public void TlsBodiesNeverLeaveTheKernel()
    {
        // Head and body in one SSL_write; the server's 50-byte body comes with its head in one SSL_read (a GET's is
        // object data; the body it answers a PUT with is not, and may be copied).
        const string Script = """
            import socket, ssl, sys
            cl = ssl._create_unverified_context().wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1]))))
            body = b'OBJDATA!' * 100
            for method, data in ((b'PUT', body), (b'GET', b'')):
                cl.sendall(b'%s /bucket/tls HTTP/1.1\r\nHost: x\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\nContent-Length: %d\r\n\r\n' % (method, len(data)) + data)
                got = b''
                while not got.endswith(b'<ok/>' * 10): got += cl.recv(65536)
            cl.close()
            """;
        int pid = TlsServerFixture.Run("python3", "-c", Script, server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var records = server.Harness.RecordsOf(pid);
        Assert.Contains(records, r => r.IsTls && r.Kind == RawRecord.KindWrite);
        AssertNoObjectData(records, Marker);
        int get = records.FindLastIndex(r => (r.Flags & RawRecord.FlagMethod) != 0);
        AssertNoObjectData(records[get..], "<ok/>");
        var events = server.Harness.Assemble(pid);
        Assert.Equal(["PUT", "GET"], events.Select(e => e.Method));
        Assert.All(events, e => Assert.True(e.Tls));
        Assert.Equal(SmallSize, events[0].RequestBodyBytes);
        Assert.All(events, e => Assert.Equal(50, e.ResponseBodyBytes));
        Assert.All(events, e => Assert.Equal(RequestFlags.None, e.Flags));
    }

    /// <summary>No record's copied bytes hold the marker, and no read's tail holds anything but terminator bytes.</summary>
    private static void AssertNoObjectData(List<RawRecord> records, string marker)
    {
        Assert.Contains(records, r => r.Kind == RawRecord.KindRead);
        foreach (RawRecord r in records)
        {
            Assert.DoesNotContain(marker, r.Text, StringComparison.Ordinal);
            byte[] tail = r.Raw[TailOffset..RecordHeader];
            Assert.True(tail.All(b => b is 0 or (byte)'\r' or (byte)'\n' or (byte)'0'), $"tail {Encoding.ASCII.GetString(tail)} of a record with {r.Bytes} bytes");
        }
    }
}
