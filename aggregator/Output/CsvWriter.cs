using System.Globalization;
using System.Text;

namespace S3Slower.Aggregator.Output;

/// <summary>RFC 4180 CSV: fields with a comma, quote or line break are quoted, quotes doubled; invariant numbers.</summary>
public sealed class CsvWriter(TextWriter writer)
{
    private bool _lineStarted;

    public void Field(string? value)
    {
        Separator();
        if (value is null)
        {
            return;
        }

        // A leading =, +, -, @ makes spreadsheets run a formula; a key is user data, so neutralise it.
        bool formula = value.Length > 0 && value[0] is '=' or '+' or '-' or '@' && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        if (formula || value.AsSpan().IndexOfAny(",\"\r\n") >= 0)
        {
            var sb = new StringBuilder(value.Length + 4).Append('"');
            if (formula)
            {
                sb.Append('\'');
            }

            writer.Write(sb.Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"').ToString());
        }
        else
        {
            writer.Write(value);
        }
    }

    public void Field(long value) => Field(value.ToString(CultureInfo.InvariantCulture));

    public void Field(double value) => Field(value.ToString("0.######", CultureInfo.InvariantCulture));

    public void Field(bool value) => Field(value ? "true" : "false");

    public void EndLine()
    {
        writer.Write("\r\n");
        _lineStarted = false;
    }

    private void Separator()
    {
        if (_lineStarted)
        {
            writer.Write(',');
        }

        _lineStarted = true;
    }
}
