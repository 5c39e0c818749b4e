using System.Collections.Frozen;

namespace S3Slower.Aggregator.Classification;

/// <summary>The query parameter names that decide an S3 operation, looked up by span so parsing allocates nothing.</summary>
internal static class QueryParameterTable
{
    public const string ListType = "list-type";
    public const string SelectType = "select-type";
    public const string PartNumber = "partNumber";

    public static readonly IReadOnlyList<QueryParameter> All =
    [
        new("abac", SubResource.Abac, RequestSignal.None),
        new("accelerate", SubResource.Accelerate, RequestSignal.None),
        new("acl", SubResource.Acl, RequestSignal.None),
        new("analytics", SubResource.Analytics, RequestSignal.None),
        new("attributes", SubResource.Attributes, RequestSignal.None),
        new("cors", SubResource.Cors, RequestSignal.None),
        new("delete", SubResource.Delete, RequestSignal.None),
        new("encryption", SubResource.Encryption, RequestSignal.None),
        new("intelligent-tiering", SubResource.IntelligentTiering, RequestSignal.None),
        new("inventory", SubResource.Inventory, RequestSignal.None),
        new("legal-hold", SubResource.LegalHold, RequestSignal.None),
        new("lifecycle", SubResource.Lifecycle, RequestSignal.None),
        new("location", SubResource.Location, RequestSignal.None),
        new("logging", SubResource.Logging, RequestSignal.None),
        new("metadataConfiguration", SubResource.MetadataConfiguration, RequestSignal.None),
        new("metadataInventoryTable", SubResource.MetadataInventoryTable, RequestSignal.None),
        new("metadataJournalTable", SubResource.MetadataJournalTable, RequestSignal.None),
        new("metadataTable", SubResource.MetadataTable, RequestSignal.None),
        new("metrics", SubResource.Metrics, RequestSignal.None),
        new("notification", SubResource.Notification, RequestSignal.None),
        new("object-lock", SubResource.ObjectLock, RequestSignal.None),
        new("ownershipControls", SubResource.OwnershipControls, RequestSignal.None),
        new("policy", SubResource.Policy, RequestSignal.None),
        new("policyStatus", SubResource.PolicyStatus, RequestSignal.None),
        new("publicAccessBlock", SubResource.PublicAccessBlock, RequestSignal.None),
        new("renameObject", SubResource.RenameObject, RequestSignal.None),
        new("replication", SubResource.Replication, RequestSignal.None),
        new("requestPayment", SubResource.RequestPayment, RequestSignal.None),
        new("restore", SubResource.Restore, RequestSignal.None),
        new("retention", SubResource.Retention, RequestSignal.None),
        new("select", SubResource.Select, RequestSignal.None),
        new("session", SubResource.Session, RequestSignal.None),
        new("tagging", SubResource.Tagging, RequestSignal.None),
        new("torrent", SubResource.Torrent, RequestSignal.None),
        new("uploads", SubResource.Uploads, RequestSignal.None),
        new("versioning", SubResource.Versioning, RequestSignal.None),
        new("versions", SubResource.Versions, RequestSignal.None),
        new("website", SubResource.Website, RequestSignal.None),
        new("uploadId", SubResource.None, RequestSignal.UploadId),
        new(PartNumber, SubResource.None, RequestSignal.PartNumber),
        new(ListType, SubResource.None, RequestSignal.ListType2),
        new(SelectType, SubResource.None, RequestSignal.SelectType2),
        new("id", SubResource.None, RequestSignal.Id),
    ];

    private static readonly FrozenDictionary<string, QueryParameter> s_byName =
        All.ToFrozenDictionary(p => p.Name, StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, QueryParameter>.AlternateLookup<ReadOnlySpan<char>> s_bySpan =
        s_byName.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly string[] s_subResourceNames = BuildSubResourceNames();

    public static bool TryGet(ReadOnlySpan<char> name, out QueryParameter parameter) => s_bySpan.TryGetValue(name, out parameter);

    public static string NameOf(SubResource subResource) => s_subResourceNames[(int)subResource];

    public static string NameOf(RequestSignal signal)
    {
        foreach (QueryParameter p in All)
        {
            if (p.Signal == signal)
            {
                return p.Name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(signal), signal, "not a query parameter signal");
    }

    private static string[] BuildSubResourceNames()
    {
        var names = new string[Enum.GetValues<SubResource>().Length];
        names[(int)SubResource.None] = string.Empty;
        foreach (QueryParameter p in All)
        {
            if (p.SubResource != SubResource.None)
            {
                names[(int)p.SubResource] = p.Name;
            }
        }

        return names;
    }
}
