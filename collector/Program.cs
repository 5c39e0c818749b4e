namespace S3Slower.Collector;

internal static class Program
{
    public static int Main(string[] args) => 0;
}
