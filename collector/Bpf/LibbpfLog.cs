using System.Runtime.InteropServices;
using System.Text;

namespace S3Slower.Collector.Bpf;

/// <summary>Routes libbpf's messages (the verifier log among them) to the collector's log.</summary>
internal static unsafe class LibbpfLog
{
    private const int MaxKeptWarnings = 64 * 1024;
    private static readonly Lock Gate = new();
    private static readonly StringBuilder Warnings = new();
    private static TextWriter? s_output;
    private static bool s_debug;

    /// <summary>Installs the callback; with <paramref name="debug"/> every message is written, else only warnings are kept.</summary>
    public static void Install(TextWriter output, bool debug)
    {
        lock (Gate)
        {
            s_output = output;
            s_debug = debug;
            Warnings.Clear();
        }

        Libbpf.SetPrint(&OnMessage);
    }

    /// <summary>The warnings libbpf printed since <see cref="Install"/> (a verifier rejection lands here).</summary>
    public static string TakeWarnings()
    {
        lock (Gate)
        {
            string text = Warnings.ToString();
            Warnings.Clear();
            return text;
        }
    }

    [UnmanagedCallersOnly]
    private static int OnMessage(Libbpf.PrintLevel level, byte* format, nint arguments)
    {
        try
        {
            const int size = 4096;
            byte* buffer = stackalloc byte[size];
            int n = LibC.VsnPrintf(buffer, size, format, arguments);
            string text = Marshal.PtrToStringUTF8((nint)buffer, Math.Clamp(n, 0, size - 1));
            lock (Gate)
            {
                if (s_debug)
                {
                    s_output?.Write(text);
                }

                if (level == Libbpf.PrintLevel.Warn && Warnings.Length < MaxKeptWarnings)
                {
                    Warnings.Append(text);
                }
            }
        }
#pragma warning disable CA1031 // an exception must not unwind into libbpf
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        return 0;
    }
}
