namespace S3Slower.Tests.Faults;

/// <summary>
/// wrk as the traced S3-style client: every request has its own key and an <c>x-amz-content-sha256</c> header; a Lua
/// script paces the connections and writes the id of every completed response to a file, so the test knows exactly
/// which requests the client made and finished.
/// </summary>
internal sealed class WrkLoad
{
    private const string Script = """
        local counter = 0
        local out
        local pace = 0
        local tag = "x"
        local count = 0
        function setup(thread)
          count = count + 1
          thread:set("tid", count)
        end
        function init(args)
          out = io.open(args[1] .. "/keys-" .. tid .. ".txt", "w")
          out:setvbuf("full")
          tag = args[2]
          pace = tonumber(args[3])
        end
        function request()
          counter = counter + 1
          local key = string.format("%s-%d-%09d", tag, tid, counter)
          return wrk.format("GET", "/fault-bucket/" .. key, { ["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD" }, nil)
        end
        function delay()
          return pace
        end
        function response(status, headers, body)
          local id = headers["x-amz-request-id"]
          if id and status == 200 then
            out:write(id, "\n")
            if counter % 256 == 0 then out:flush() end
          end
        end
        function done(summary, latency, requests)
        end
        """;

    private readonly string _dir;

    public WrkLoad(string dir, string tag)
    {
        _dir = Directory.CreateDirectory(Path.Combine(dir, "wrk-" + tag)).FullName;
        Tag = tag;
        File.WriteAllText(Path.Combine(_dir, "pace.lua"), Script);
    }

    public string Tag { get; }

    public string Output { get; private set; } = "";

    /// <summary>Runs wrk for <paramref name="seconds"/> with <paramref name="connections"/> connections, each pausing <paramref name="pauseMs"/> between requests.</summary>
    public async Task RunAsync(int port, int seconds, int connections, int pauseMs)
    {
        string[] args =
        [
            "-t2", $"-c{connections}", $"-d{seconds}s", "--timeout", "5s", "-s", Path.Combine(_dir, "pace.lua"),
            $"http://127.0.0.1:{port}/", "--", _dir, Tag, pauseMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ];
        await using var wrk = ChildProcess.Start("wrk", args);
        int exit = await wrk.WaitForExitAsync(TimeSpan.FromSeconds(seconds + 60));
        Output = wrk.Stdout + "\n" + wrk.Stderr;
        Assert.True(exit == 0, "wrk failed:\n" + Output);
    }

    /// <summary>Ids of the responses wrk received in full (buffered lines are flushed when wrk exits).</summary>
    public IReadOnlyList<string> CompletedKeys() =>
        [.. Directory.EnumerateFiles(_dir, "keys-*.txt").SelectMany(File.ReadLines).Where(l => l.Length > 0)];
}
