using System.Runtime.InteropServices;

namespace S3Slower.Collector.Bpf;

/// <summary>The slice of libbpf 1.1 (libbpf.so.1) the collector uses. Pointers are opaque libbpf objects.</summary>
internal static unsafe partial class Libbpf
{
    private const string Lib = "libbpf.so.1";

    public enum PrintLevel
    {
        Warn = 0,
        Info = 1,
        Debug = 2,
    }

    [LibraryImport(Lib, EntryPoint = "bpf_object__open_mem", SetLastError = true)]
    public static partial nint ObjectOpenMem(byte* buffer, nuint size, nint options);

    [LibraryImport(Lib, EntryPoint = "bpf_object__load")]
    public static partial int ObjectLoad(nint obj);

    [LibraryImport(Lib, EntryPoint = "bpf_object__close")]
    public static partial void ObjectClose(nint obj);

    [LibraryImport(Lib, EntryPoint = "bpf_object__find_map_by_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint ObjectFindMap(nint obj, string name);

    [LibraryImport(Lib, EntryPoint = "bpf_object__next_program")]
    public static partial nint ObjectNextProgram(nint obj, nint previous);

    [LibraryImport(Lib, EntryPoint = "bpf_program__name")]
    public static partial nint ProgramName(nint program);

    [LibraryImport(Lib, EntryPoint = "bpf_program__section_name")]
    public static partial nint ProgramSectionName(nint program);

    [LibraryImport(Lib, EntryPoint = "bpf_program__fd")]
    public static partial int ProgramFd(nint program);

    [LibraryImport(Lib, EntryPoint = "bpf_program__set_autoload")]
    public static partial int ProgramSetAutoload(nint program, [MarshalAs(UnmanagedType.U1)] bool autoload);

    [LibraryImport(Lib, EntryPoint = "bpf_program__attach", SetLastError = true)]
    public static partial nint ProgramAttach(nint program);

    [LibraryImport(Lib, EntryPoint = "bpf_link__destroy")]
    public static partial int LinkDestroy(nint link);

    [LibraryImport(Lib, EntryPoint = "bpf_map__fd")]
    public static partial int MapFd(nint map);

    [LibraryImport(Lib, EntryPoint = "bpf_map__set_max_entries")]
    public static partial int MapSetMaxEntries(nint map, uint maxEntries);

    [LibraryImport(Lib, EntryPoint = "bpf_map__update_elem")]
    public static partial int MapUpdate(nint map, void* key, nuint keySize, void* value, nuint valueSize, ulong flags);

    [LibraryImport(Lib, EntryPoint = "bpf_map__lookup_elem")]
    public static partial int MapLookup(nint map, void* key, nuint keySize, void* value, nuint valueSize, ulong flags);

    [LibraryImport(Lib, EntryPoint = "bpf_obj_get_info_by_fd")]
    public static partial int ObjectGetInfoByFd(int fd, void* info, uint* infoLength);

    [LibraryImport(Lib, EntryPoint = "bpf_object__next_map")]
    public static partial nint ObjectNextMap(nint obj, nint previous);

    [LibraryImport(Lib, EntryPoint = "bpf_map__name")]
    public static partial nint MapName(nint map);

    [LibraryImport(Lib, EntryPoint = "bpf_map__max_entries")]
    public static partial uint MapMaxEntries(nint map);

    [LibraryImport(Lib, EntryPoint = "bpf_map__reuse_fd")]
    public static partial int MapReuseFd(nint map, int fd);

    [LibraryImport(Lib, EntryPoint = "bpf_map__set_pin_path", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MapSetPinPath(nint map, string path);

    [LibraryImport(Lib, EntryPoint = "bpf_map__get_next_key")]
    public static partial int MapGetNextKey(nint map, void* key, void* nextKey, nuint keySize);

    [LibraryImport(Lib, EntryPoint = "bpf_map__delete_elem")]
    public static partial int MapDelete(nint map, void* key, nuint keySize, ulong flags);

    [LibraryImport(Lib, EntryPoint = "bpf_obj_get", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int ObjectGet(string path);

    [LibraryImport(Lib, EntryPoint = "bpf_link__pin", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int LinkPin(nint link, string path);

    [LibraryImport(Lib, EntryPoint = "bpf_link__open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial nint LinkOpen(string path);

    [LibraryImport(Lib, EntryPoint = "bpf_link__fd")]
    public static partial int LinkFd(nint link);

    [LibraryImport(Lib, EntryPoint = "libbpf_num_possible_cpus")]
    public static partial int NumPossibleCpus();

    [LibraryImport(Lib, EntryPoint = "libbpf_strerror")]
    public static partial int StrError(int error, byte* buffer, nuint size);

    [LibraryImport(Lib, EntryPoint = "libbpf_set_print")]
    public static partial nint SetPrint(delegate* unmanaged<PrintLevel, byte*, nint, int> callback);

    /// <summary>libbpf's text for a (positive or negative) error number.</summary>
    public static string ErrorText(int error)
    {
        byte* buffer = stackalloc byte[256];
        _ = StrError(Math.Abs(error), buffer, 256);
        return Marshal.PtrToStringUTF8((nint)buffer) ?? $"error {error}";
    }
}
