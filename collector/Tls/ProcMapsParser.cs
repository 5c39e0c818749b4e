using System.Globalization;

namespace S3Slower.Collector.Tls;

/// <summary>
/// Parses <c>/proc/&lt;pid&gt;/maps</c>: <c>start-end perms offset dev inode path</c>. Anonymous and pseudo
/// mappings (<c>[heap]</c>, <c>[vdso]</c>, inode 0) are skipped; malformed lines are skipped, not fatal, because
/// the file is read while the process keeps changing it.
/// </summary>
public static class ProcMapsParser
{
    public static List<MappedFile> Parse(ReadOnlySpan<char> text)
    {
        var result = new List<MappedFile>();
        foreach (var line in text.EnumerateLines())
        {
            if (TryParseLine(line, out var mapping))
            {
                result.Add(mapping);
            }
        }

        return result;
    }

    public static bool TryParseLine(ReadOnlySpan<char> line, out MappedFile mapping)
    {
        mapping = null!;
        if (!NextField(ref line, out var range) || !NextField(ref line, out var perms) || !NextField(ref line, out var offsetText)
            || !NextField(ref line, out _) || !NextField(ref line, out var inodeText))
        {
            return false;
        }

        var path = line.Trim();
        if (path.IsEmpty || path[0] != '/')
        {
            return false;
        }

        var dash = range.IndexOf('-');
        if (dash <= 0
            || !ulong.TryParse(range.Slice(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
            || !ulong.TryParse(range.Slice(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end)
            || !ulong.TryParse(offsetText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var offset)
            || !ulong.TryParse(inodeText, NumberStyles.None, CultureInfo.InvariantCulture, out var inode)
            || perms.Length < 3 || inode == 0)
        {
            return false;
        }

        mapping = new MappedFile(start, end, perms[2] == 'x', offset, inode, path.ToString());
        return true;
    }

    private static bool NextField(ref ReadOnlySpan<char> line, out ReadOnlySpan<char> field)
    {
        line = line.TrimStart(' ');
        var space = line.IndexOf(' ');
        if (space <= 0)
        {
            field = default;
            return false;
        }

        field = line.Slice(0, space);
        line = line.Slice(space + 1);
        return true;
    }
}
