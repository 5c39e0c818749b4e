namespace S3Slower.Tests.Service;

/// <summary>A systemd unit file read as section → key → values (a key may repeat).</summary>
internal sealed class UnitFile
{
    private readonly Dictionary<(string Section, string Key), List<string>> _values = [];

    public static UnitFile Load(string path)
    {
        var unit = new UnitFile();
        string section = "";
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[')
            {
                section = line.Trim('[', ']');
                continue;
            }

            int eq = line.IndexOf('=');
            Assert.True(eq > 0, $"{path}: not a key=value line: {line}");
            var key = (section, line[..eq].Trim());
            if (!unit._values.TryGetValue(key, out var list))
            {
                unit._values[key] = list = [];
            }

            list.Add(line[(eq + 1)..].Trim());
        }

        return unit;
    }

    /// <summary>The effective value (the last assignment wins, as in systemd), or null when absent.</summary>
    public string? Get(string section, string key) =>
        _values.TryGetValue((section, key), out var list) ? list[^1] : null;
}
