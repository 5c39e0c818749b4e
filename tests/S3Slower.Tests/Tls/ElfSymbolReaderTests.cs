using S3Slower.Collector.Tls;

namespace S3Slower.Tests.Tls;

public sealed class ElfSymbolReaderTests
{
    private static readonly string[] OpenSslNames = ["SSL_write", "SSL_write_ex", "SSL_read", "SSL_read_ex"];

    [Fact]
    public void FixtureSymtabOffsetsAreVirtualAddressMinusSegmentBase()
    {
        // static-tls.elf: text PT_LOAD maps file offset 0x1000 at 0x401000; only a .symtab, no .dynsym.
        var symbols = ElfSymbolReader.ReadFile(TlsFixtures.StaticTlsElf, OpenSslNames).ToDictionary(s => s.Name);

        Assert.Equal(3, symbols.Count);
        Assert.Equal(0x401000UL, symbols["SSL_write"].VirtualAddress);
        Assert.Equal(0x1000UL, symbols["SSL_write"].FileOffset);
        Assert.Equal(0x1010UL, symbols["SSL_read"].FileOffset);
        Assert.Equal(0x1020UL, symbols["SSL_write_ex"].FileOffset);
        Assert.False(symbols.ContainsKey("SSL_read_ex"));
    }

    [Fact]
    public void UnwantedFunctionsAreNotReturned()
    {
        var symbols = ElfSymbolReader.ReadFile(TlsFixtures.StaticTlsElf, ["not_tls", "missing"]);

        var only = Assert.Single(symbols);
        Assert.Equal("not_tls", only.Name);
        Assert.Equal(0x1030UL, only.FileOffset);
    }

    [Fact]
    public void SystemLibsslExportsAllFourFunctionsInItsTextSegment()
    {
        const string libssl = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
        Assert.True(File.Exists(libssl), "libssl.so.3 (libssl3) must be installed on the test host");

        var symbols = ElfSymbolReader.ReadFile(libssl, OpenSslNames);

        Assert.Equal(4, symbols.Count);
        var length = (ulong)new FileInfo(libssl).Length;
        Assert.All(symbols, s => Assert.InRange(s.FileOffset, 1UL, length - 1));
        // An x86-64 function entry is code: endbr64 (CET builds) or a push/sub, never padding zeroes.
        var bytes = File.ReadAllBytes(libssl);
        Assert.All(symbols, s => Assert.NotEqual(0, bytes[(int)s.FileOffset] | bytes[(int)s.FileOffset + 1]));
    }

    [Fact]
    public void HashTableLookupFindsWhatWalkingTheSymbolsFinds()
    {
        // Every library of the host and node (a static OpenSSL exported from a 98 MB binary): the GNU hash table gives
        // the same definitions as a walk of .dynsym, for TLS names and for names each file is known to define.
        var files = Directory.EnumerateFiles("/usr/lib/x86_64-linux-gnu", "*.so*").Append("/usr/bin/node").Append("/usr/bin/python3").Take(400).ToList();
        int compared = 0;
        foreach (var file in files)
        {
            byte[] image;
            try
            {
                image = File.ReadAllBytes(file);
            }
            catch (IOException)
            {
                continue;
            }

            if (!ElfSymbolReader.HasElfMagic(image) || image[4] != 2)
            {
                continue;
            }

            string[] names = [.. TlsFunctions.Symbols, "malloc", "free", "memcpy", "inflate", "PyList_New", "deflateInit_", "no_such_function"];
            var walked = ElfSymbolReader.FindFunctions(image, names, useHashTable: false);
            var hashed = ElfSymbolReader.FindFunctions(image, names, useHashTable: true);
            Assert.Equal(walked.OrderBy(s => s.Name), hashed.OrderBy(s => s.Name));
            compared += walked.Count;
        }

        Assert.True(compared > 20, $"only {compared} definitions compared");
        Assert.Equal(5, ElfSymbolReader.ReadFile("/usr/bin/node", TlsFunctions.Symbols).Count);
    }

    [Fact]
    public void CorruptHashTableFailsWithElfFormatException()
    {
        const string libssl = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
        var image = File.ReadAllBytes(libssl);
        var section = FindSection(image, 0x6ffffff6);
        var bucketCount = BitConverter.ToUInt32(image, section);
        var bloomWords = BitConverter.ToUInt32(image, section + 8);
        // Every bucket points past the symbol table.
        for (var b = 0; b < bucketCount; b++)
        {
            BitConverter.TryWriteBytes(image.AsSpan(section + 16 + (int)(bloomWords * 8) + (b * 4)), 0x7fff_fff0u);
        }

        Assert.Throws<ElfFormatException>(() => ElfSymbolReader.FindFunctions(image, OpenSslNames));

        // A bucket count larger than the section.
        image = File.ReadAllBytes(libssl);
        BitConverter.TryWriteBytes(image.AsSpan(section), 0x4000_0000u);
        Assert.Throws<ElfFormatException>(() => ElfSymbolReader.FindFunctions(image, OpenSslNames));

        static int FindSection(byte[] image, uint type)
        {
            var table = (int)BitConverter.ToUInt64(image, 0x28);
            var count = BitConverter.ToUInt16(image, 0x3C);
            for (var i = 0; i < count; i++)
            {
                var header = table + (i * 64);
                if (BitConverter.ToUInt32(image, header + 4) == type)
                {
                    return (int)BitConverter.ToUInt64(image, header + 24);
                }
            }

            throw new InvalidOperationException("no such section");
        }
    }

    [Fact]
    public void CorruptOrForeignFilesFailWithElfFormatException()
    {
        var image = File.ReadAllBytes(TlsFixtures.StaticTlsElf);

        Assert.Throws<ElfFormatException>(() => ElfSymbolReader.FindFunctions(image.AsSpan(0, 40), OpenSslNames));
        Assert.Throws<ElfFormatException>(() => ElfSymbolReader.FindFunctions("#!/bin/sh\necho hello world, this is no ELF file at all\n"u8, OpenSslNames));

        var truncated = image.AsSpan(0, 0x2000).ToArray();
        Assert.Throws<ElfFormatException>(() => ElfSymbolReader.FindFunctions(truncated, OpenSslNames));

        var elf32 = (byte[])image.Clone();
        elf32[4] = 1;
        Assert.Throws<ElfFormatException>(() => ElfSymbolReader.FindFunctions(elf32, OpenSslNames));

        var hugeSectionOffset = (byte[])image.Clone();
        BitConverter.TryWriteBytes(hugeSectionOffset.AsSpan(0x28), ulong.MaxValue - 10);
        Assert.Throws<ElfFormatException>(() => ElfSymbolReader.FindFunctions(hugeSectionOffset, OpenSslNames));
    }

    [Fact]
    public void MissingFileFailsClearly()
    {
        var e = Assert.ThrowsAny<IOException>(() => ElfSymbolReader.ReadFile("/nonexistent/libssl.so.3", OpenSslNames));
        Assert.Contains("libssl.so.3", e.Message, StringComparison.Ordinal);
    }
}
