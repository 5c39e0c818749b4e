namespace S3Slower.Aggregator;

internal static class Program
{
    public static int Main(string[] args) => 0;
}
