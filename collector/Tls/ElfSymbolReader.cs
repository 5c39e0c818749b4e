using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text;

namespace S3Slower.Collector.Tls;

/// <summary>
/// Finds defined function symbols in a 64-bit little-endian ELF image (.dynsym, through its GNU hash table when it
/// has one, then .symtab) and converts their virtual addresses to file offsets through the PT_LOAD program headers.
/// The watcher examines every new executable before its first TLS call, so a lookup must not walk a large binary's
/// symbols: node's 180,000 took 12 ms warm and 60 ms cold, longer than node takes to send its first request. Every
/// offset read from the file is bounds-checked: a corrupt or truncated file yields <see cref="ElfFormatException"/>,
/// never an out-of-range read.
/// </summary>
public static class ElfSymbolReader
{
    private const int IdentSize = 16;
    private const int HeaderSize = 64;
    private const int ProgramHeaderSize = 56;
    private const int SectionHeaderSize = 64;
    private const int SymbolSize = 24;
    private const byte ElfClass64 = 2;
    private const byte ElfDataLittleEndian = 1;
    private const uint PtLoad = 1;
    private const uint PfExecute = 1;
    private const uint ShtSymtab = 2;
    private const uint ShtDynsym = 11;
    private const uint ShtGnuHash = 0x6ffffff6;
    private const int GnuHashHeaderSize = 16;
    private const int GnuHashBloomWordSize = 8;
    private const byte SttFunc = 2;
    private const ushort ShnUndef = 0;
    private const ushort ShnLoReserve = 0xff00;

    /// <summary>Maps the file read-only and looks up <paramref name="names"/>; the file is never read whole.</summary>
    public static IReadOnlyList<ElfSymbol> ReadFile(string path, IReadOnlyCollection<string> names)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length < HeaderSize)
        {
            throw new ElfFormatException($"{path}: {stream.Length} bytes is too short for an ELF header");
        }

        using var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        using var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        var handle = view.SafeMemoryMappedViewHandle;
        unsafe
        {
            byte* pointer = null;
            handle.AcquirePointer(ref pointer);
            try
            {
                var length = checked((long)handle.ByteLength);
                length = Math.Min(length, stream.Length);
                if (length > int.MaxValue)
                {
                    throw new ElfFormatException($"{path}: files over 2 GiB are not supported");
                }

                var image = new ReadOnlySpan<byte>(pointer + view.PointerOffset, (int)length);
                try
                {
                    return FindFunctions(image, names);
                }
                catch (ElfFormatException e)
                {
                    throw new ElfFormatException($"{path}: {e.Message}", e);
                }
            }
            finally
            {
                handle.ReleasePointer();
            }
        }
    }

    /// <summary>True when the bytes start with the ELF magic (cheap pre-check before mapping a file).</summary>
    public static bool HasElfMagic(ReadOnlySpan<byte> head) =>
        head.Length >= 4 && head[0] == 0x7f && head[1] == (byte)'E' && head[2] == (byte)'L' && head[3] == (byte)'F';

    /// <summary>
    /// Returns every defined function among <paramref name="names"/> (first definition wins). .symtab is searched
    /// only when .dynsym defines none of them: a file that exports its TLS API exports all of it, and a stripped
    /// binary still resolves its exports.
    /// </summary>
    public static IReadOnlyList<ElfSymbol> FindFunctions(ReadOnlySpan<byte> image, IReadOnlyCollection<string> names) =>
        FindFunctions(image, names, useHashTable: true);

    /// <summary>As <see cref="FindFunctions(ReadOnlySpan{byte}, IReadOnlyCollection{string})"/>; <paramref name="useHashTable"/> false walks .dynsym (tests compare both).</summary>
    internal static IReadOnlyList<ElfSymbol> FindFunctions(ReadOnlySpan<byte> image, IReadOnlyCollection<string> names, bool useHashTable)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (image.Length < HeaderSize || !HasElfMagic(image))
        {
            throw new ElfFormatException("not an ELF file");
        }

        if (image[4] != ElfClass64 || image[5] != ElfDataLittleEndian)
        {
            throw new ElfFormatException("only 64-bit little-endian ELF is supported");
        }

        var wanted = new byte[names.Count][];
        var index = 0;
        foreach (var name in names)
        {
            wanted[index++] = Encoding.ASCII.GetBytes(name);
        }

        var found = new List<ElfSymbol>(wanted.Length);
        var sections = ReadSectionTable(image, out var sectionCount);
        foreach (var tableType in (ReadOnlySpan<uint>)[ShtDynsym, ShtSymtab])
        {
            if (found.Count > 0)
            {
                break;
            }

            for (var i = 0; i < sectionCount; i++)
            {
                var header = Section(sections, i);
                if (U32(header, 4) != tableType)
                {
                    continue;
                }

                var symbols = Slice(image, U64(header, 24), U64(header, 32), "symbol table");
                var linked = (int)U32(header, 40);
                if (linked >= sectionCount)
                {
                    throw new ElfFormatException($"symbol table links to string section {linked} of {sectionCount}");
                }

                var stringsHeader = Section(sections, linked);
                var strings = Slice(image, U64(stringsHeader, 24), U64(stringsHeader, 32), "string table");
                var hashTable = useHashTable ? FindHashTableOf(image, sections, sectionCount, i) : default;
                if (hashTable.IsEmpty)
                {
                    CollectFunctions(image, symbols, strings, wanted, found);
                }
                else
                {
                    LookUpFunctions(image, hashTable, symbols, strings, wanted, found);
                }
            }
        }

        return found;
    }

    /// <summary>Converts a virtual address to a file offset using the executable PT_LOAD segment that holds it.</summary>
    public static ulong VirtualAddressToFileOffset(ReadOnlySpan<byte> image, ulong address)
    {
        var programOffset = U64(image, 0x20);
        var entrySize = U16(image, 0x36);
        var count = U16(image, 0x38);
        if (count == 0)
        {
            throw new ElfFormatException("no program headers");
        }

        if (entrySize < ProgramHeaderSize)
        {
            throw new ElfFormatException($"program header size {entrySize} is below {ProgramHeaderSize}");
        }

        var table = Slice(image, programOffset, (ulong)entrySize * count, "program headers");
        ulong? fallback = null;
        for (var i = 0; i < count; i++)
        {
            var header = table.Slice(i * entrySize, ProgramHeaderSize);
            if (U32(header, 0) != PtLoad)
            {
                continue;
            }

            var offset = U64(header, 8);
            var virtualAddress = U64(header, 16);
            var fileSize = U64(header, 32);
            if (address < virtualAddress || address - virtualAddress >= fileSize)
            {
                continue;
            }

            var fileOffset = address - virtualAddress + offset;
            if ((U32(header, 4) & PfExecute) != 0)
            {
                return fileOffset;
            }

            fallback ??= fileOffset;
        }

        return fallback ?? throw new ElfFormatException($"address 0x{address:x} is in no loadable segment");
    }

    private static void CollectFunctions(
        ReadOnlySpan<byte> image, ReadOnlySpan<byte> symbols, ReadOnlySpan<byte> strings, byte[][] wanted, List<ElfSymbol> found)
    {
        var count = symbols.Length / SymbolSize;
        for (var i = 1; i < count; i++)
        {
            var symbol = symbols.Slice(i * SymbolSize, SymbolSize);
            if (!IsDefinedFunction(symbol))
            {
                continue;
            }

            foreach (var name in wanted)
            {
                if (TryAdd(image, symbol, strings, name, found))
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Looks each name up in a GNU hash table (the one ld.so uses): a bucket by hash, then the chain of symbols with
    /// that bucket, whose low hash bit marks the chain's end. Every index is checked against the tables' sizes.
    /// </summary>
    private static void LookUpFunctions(
        ReadOnlySpan<byte> image, ReadOnlySpan<byte> hashTable, ReadOnlySpan<byte> symbols, ReadOnlySpan<byte> strings, byte[][] wanted, List<ElfSymbol> found)
    {
        if (hashTable.Length < GnuHashHeaderSize)
        {
            throw new ElfFormatException($"GNU hash table of {hashTable.Length} bytes has no header");
        }

        var bucketCount = U32(hashTable, 0);
        var firstHashed = U32(hashTable, 4);
        var bloomWords = U32(hashTable, 8);
        var bucketsAt = GnuHashHeaderSize + ((ulong)bloomWords * GnuHashBloomWordSize);
        var chainsAt = bucketsAt + ((ulong)bucketCount * sizeof(uint));
        if (chainsAt > (ulong)hashTable.Length)
        {
            throw new ElfFormatException($"GNU hash table of {hashTable.Length} bytes cannot hold {bucketCount} buckets");
        }

        if (bucketCount == 0)
        {
            return;
        }

        var chainCount = ((ulong)hashTable.Length - chainsAt) / sizeof(uint);
        var symbolCount = (ulong)symbols.Length / SymbolSize;
        foreach (var name in wanted)
        {
            var hash = GnuHash(name);
            ulong index = U32(hashTable, (int)(bucketsAt + ((hash % bucketCount) * sizeof(uint))));
            if (index == 0)
            {
                continue;
            }

            while (true)
            {
                if (index < firstHashed || index - firstHashed >= chainCount || index >= symbolCount)
                {
                    throw new ElfFormatException($"GNU hash chain reaches symbol {index} outside the tables");
                }

                var chained = U32(hashTable, (int)(chainsAt + ((index - firstHashed) * sizeof(uint))));
                if ((chained | 1) == (hash | 1) && TryAdd(image, symbols.Slice((int)index * SymbolSize, SymbolSize), strings, name, found))
                {
                    break;
                }

                if ((chained & 1) != 0)
                {
                    break;
                }

                index++;
            }
        }
    }

    /// <summary>Adds <paramref name="symbol"/> when it is a defined function named <paramref name="name"/> not found before.</summary>
    private static bool TryAdd(ReadOnlySpan<byte> image, ReadOnlySpan<byte> symbol, ReadOnlySpan<byte> strings, byte[] name, List<ElfSymbol> found)
    {
        if (!IsDefinedFunction(symbol))
        {
            return false;
        }

        var nameOffset = U32(symbol, 0);
        if (nameOffset >= (uint)strings.Length)
        {
            return false;
        }

        var candidate = strings.Slice((int)nameOffset);
        if (!candidate.StartsWith(name) || (candidate.Length > name.Length && candidate[name.Length] != 0) || Contains(found, name))
        {
            return false;
        }

        var address = U64(symbol, 8);
        if (address == 0)
        {
            return false;
        }

        found.Add(new ElfSymbol(Encoding.ASCII.GetString(name), address, VirtualAddressToFileOffset(image, address), U64(symbol, 16)));
        return true;
    }

    private static bool IsDefinedFunction(ReadOnlySpan<byte> symbol) => (symbol[4] & 0xf) == SttFunc && U16(symbol, 6) != ShnUndef;

    /// <summary>The GNU hash section that indexes symbol table <paramref name="symbolSection"/>, or empty.</summary>
    private static ReadOnlySpan<byte> FindHashTableOf(ReadOnlySpan<byte> image, ReadOnlySpan<byte> sections, int sectionCount, int symbolSection)
    {
        for (var i = 0; i < sectionCount; i++)
        {
            var header = Section(sections, i);
            if (U32(header, 4) == ShtGnuHash && U32(header, 40) == (uint)symbolSection)
            {
                return Slice(image, U64(header, 24), U64(header, 32), "GNU hash table");
            }
        }

        return default;
    }

    private static uint GnuHash(ReadOnlySpan<byte> name)
    {
        uint hash = 5381;
        foreach (var c in name)
        {
            hash = (hash * 33) + c;
        }

        return hash;
    }

    private static bool Contains(List<ElfSymbol> found, byte[] name)
    {
        foreach (var symbol in found)
        {
            if (symbol.Name.Length == name.Length && Encoding.ASCII.GetBytes(symbol.Name).AsSpan().SequenceEqual(name))
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<byte> ReadSectionTable(ReadOnlySpan<byte> image, out int count)
    {
        var offset = U64(image, 0x28);
        var entrySize = U16(image, 0x3A);
        count = U16(image, 0x3C);
        if (offset == 0)
        {
            count = 0;
            return [];
        }

        if (entrySize < SectionHeaderSize)
        {
            throw new ElfFormatException($"section header size {entrySize} is below {SectionHeaderSize}");
        }

        if (count == 0 || count >= ShnLoReserve)
        {
            // Extended numbering: the real count lives in section 0's sh_size.
            var first = Slice(image, offset, SectionHeaderSize, "section header 0");
            var extended = U64(first, 32);
            if (extended > int.MaxValue / SectionHeaderSize)
            {
                throw new ElfFormatException($"section count {extended} is implausible");
            }

            count = (int)extended;
        }

        var table = Slice(image, offset, (ulong)entrySize * (ulong)count, "section headers");
        if (entrySize != SectionHeaderSize)
        {
            throw new ElfFormatException($"section header size {entrySize} is not {SectionHeaderSize}");
        }

        return table;
    }

    private static ReadOnlySpan<byte> Section(ReadOnlySpan<byte> table, int index) =>
        table.Slice(index * SectionHeaderSize, SectionHeaderSize);

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> image, ulong offset, ulong length, string what)
    {
        if (offset > (ulong)image.Length || length > (ulong)image.Length - offset)
        {
            throw new ElfFormatException($"{what} at 0x{offset:x} (+{length}) lies outside the {image.Length}-byte file");
        }

        return image.Slice((int)offset, (int)length);
    }

    private static ushort U16(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(offset));

    private static uint U32(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(offset));

    private static ulong U64(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(offset));
}
