namespace S3Slower.Aggregator.Classification;

/// <summary>
/// The S3 REST API as rules, indexed by method, level and sub-resource so a request finds its few candidates in one step.
/// Where the wire request of two API operations is identical (GetBucketLifecycle / GetBucketLifecycleConfiguration, …)
/// the current operation's name is used.
/// </summary>
internal static class RuleTable
{
    public static readonly IReadOnlyList<ClassificationRule> All =
    [
        new(HttpVerb.Get, RequestLevel.Service, SubResource.None, RequestSignal.None, "ListBuckets"),
        new(HttpVerb.Get, RequestLevel.Service, SubResource.None, RequestSignal.ExpressControlEndpoint, "ListDirectoryBuckets"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.None, RequestSignal.None, "CreateBucket"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.None, RequestSignal.None, "DeleteBucket"),
        new(HttpVerb.Head, RequestLevel.Bucket, SubResource.None, RequestSignal.None, "HeadBucket"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.None, RequestSignal.None, "ListObjects"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.None, RequestSignal.ListType2, "ListObjectsV2"),
        new(HttpVerb.Post, RequestLevel.Bucket, SubResource.None, RequestSignal.FormUpload, "PostObject"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Abac, RequestSignal.None, "GetBucketAbac"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Abac, RequestSignal.None, "PutBucketAbac"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Accelerate, RequestSignal.None, "GetBucketAccelerateConfiguration"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Accelerate, RequestSignal.None, "PutBucketAccelerateConfiguration"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Acl, RequestSignal.None, "GetBucketAcl"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Acl, RequestSignal.None, "PutBucketAcl"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Analytics, RequestSignal.Id, "GetBucketAnalyticsConfiguration"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Analytics, RequestSignal.None, "ListBucketAnalyticsConfigurations"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Analytics, RequestSignal.Id, "PutBucketAnalyticsConfiguration"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.Analytics, RequestSignal.Id, "DeleteBucketAnalyticsConfiguration"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.IntelligentTiering, RequestSignal.Id, "GetBucketIntelligentTieringConfiguration"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.IntelligentTiering, RequestSignal.None, "ListBucketIntelligentTieringConfigurations"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.IntelligentTiering, RequestSignal.Id, "PutBucketIntelligentTieringConfiguration"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.IntelligentTiering, RequestSignal.Id, "DeleteBucketIntelligentTieringConfiguration"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Inventory, RequestSignal.Id, "GetBucketInventoryConfiguration"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Inventory, RequestSignal.None, "ListBucketInventoryConfigurations"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Inventory, RequestSignal.Id, "PutBucketInventoryConfiguration"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.Inventory, RequestSignal.Id, "DeleteBucketInventoryConfiguration"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Metrics, RequestSignal.Id, "GetBucketMetricsConfiguration"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Metrics, RequestSignal.None, "ListBucketMetricsConfigurations"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Metrics, RequestSignal.Id, "PutBucketMetricsConfiguration"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.Metrics, RequestSignal.Id, "DeleteBucketMetricsConfiguration"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Cors, RequestSignal.None, "GetBucketCors"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Cors, RequestSignal.None, "PutBucketCors"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.Cors, RequestSignal.None, "DeleteBucketCors"),
        new(HttpVerb.Post, RequestLevel.Bucket, SubResource.Delete, RequestSignal.None, "DeleteObjects"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Encryption, RequestSignal.None, "GetBucketEncryption"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Encryption, RequestSignal.None, "PutBucketEncryption"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.Encryption, RequestSignal.None, "DeleteBucketEncryption"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Lifecycle, RequestSignal.None, "GetBucketLifecycleConfiguration"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Lifecycle, RequestSignal.None, "PutBucketLifecycleConfiguration"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.Lifecycle, RequestSignal.None, "DeleteBucketLifecycle"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Location, RequestSignal.None, "GetBucketLocation"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Logging, RequestSignal.None, "GetBucketLogging"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Logging, RequestSignal.None, "PutBucketLogging"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.MetadataConfiguration, RequestSignal.None, "GetBucketMetadataConfiguration"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.MetadataConfiguration, RequestSignal.None, "DeleteBucketMetadataConfiguration"),
        new(HttpVerb.Post, RequestLevel.Bucket, SubResource.MetadataConfiguration, RequestSignal.None, "CreateBucketMetadataConfiguration"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.MetadataInventoryTable, RequestSignal.None, "UpdateBucketMetadataInventoryTableConfiguration"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.MetadataJournalTable, RequestSignal.None, "UpdateBucketMetadataJournalTableConfiguration"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.MetadataTable, RequestSignal.None, "GetBucketMetadataTableConfiguration"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.MetadataTable, RequestSignal.None, "DeleteBucketMetadataTableConfiguration"),
        new(HttpVerb.Post, RequestLevel.Bucket, SubResource.MetadataTable, RequestSignal.None, "CreateBucketMetadataTableConfiguration"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Notification, RequestSignal.None, "GetBucketNotificationConfiguration"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Notification, RequestSignal.None, "PutBucketNotificationConfiguration"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.ObjectLock, RequestSignal.None, "GetObjectLockConfiguration"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.ObjectLock, RequestSignal.None, "PutObjectLockConfiguration"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.OwnershipControls, RequestSignal.None, "GetBucketOwnershipControls"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.OwnershipControls, RequestSignal.None, "PutBucketOwnershipControls"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.OwnershipControls, RequestSignal.None, "DeleteBucketOwnershipControls"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Policy, RequestSignal.None, "GetBucketPolicy"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Policy, RequestSignal.None, "PutBucketPolicy"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.Policy, RequestSignal.None, "DeleteBucketPolicy"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.PolicyStatus, RequestSignal.None, "GetBucketPolicyStatus"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.PublicAccessBlock, RequestSignal.None, "GetPublicAccessBlock"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.PublicAccessBlock, RequestSignal.None, "PutPublicAccessBlock"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.PublicAccessBlock, RequestSignal.None, "DeletePublicAccessBlock"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Replication, RequestSignal.None, "GetBucketReplication"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Replication, RequestSignal.None, "PutBucketReplication"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.Replication, RequestSignal.None, "DeleteBucketReplication"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.RequestPayment, RequestSignal.None, "GetBucketRequestPayment"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.RequestPayment, RequestSignal.None, "PutBucketRequestPayment"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Session, RequestSignal.None, "CreateSession"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Tagging, RequestSignal.None, "GetBucketTagging"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Tagging, RequestSignal.None, "PutBucketTagging"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.Tagging, RequestSignal.None, "DeleteBucketTagging"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Uploads, RequestSignal.None, "ListMultipartUploads"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Versioning, RequestSignal.None, "GetBucketVersioning"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Versioning, RequestSignal.None, "PutBucketVersioning"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Versions, RequestSignal.None, "ListObjectVersions"),
        new(HttpVerb.Get, RequestLevel.Bucket, SubResource.Website, RequestSignal.None, "GetBucketWebsite"),
        new(HttpVerb.Put, RequestLevel.Bucket, SubResource.Website, RequestSignal.None, "PutBucketWebsite"),
        new(HttpVerb.Delete, RequestLevel.Bucket, SubResource.Website, RequestSignal.None, "DeleteBucketWebsite"),
        new(HttpVerb.Get, RequestLevel.Object, SubResource.None, RequestSignal.None, "GetObject"),
        new(HttpVerb.Get, RequestLevel.Object, SubResource.None, RequestSignal.UploadId, "ListParts"),
        new(HttpVerb.Head, RequestLevel.Object, SubResource.None, RequestSignal.None, "HeadObject"),
        new(HttpVerb.Put, RequestLevel.Object, SubResource.None, RequestSignal.None, "PutObject"),
        new(HttpVerb.Put, RequestLevel.Object, SubResource.None, RequestSignal.CopySource, "CopyObject"),
        new(HttpVerb.Put, RequestLevel.Object, SubResource.None, RequestSignal.PartNumber | RequestSignal.UploadId, "UploadPart"),
        new(HttpVerb.Put, RequestLevel.Object, SubResource.None, RequestSignal.PartNumber | RequestSignal.UploadId | RequestSignal.CopySource, "UploadPartCopy"),
        new(HttpVerb.Delete, RequestLevel.Object, SubResource.None, RequestSignal.None, "DeleteObject"),
        new(HttpVerb.Delete, RequestLevel.Object, SubResource.None, RequestSignal.UploadId, "AbortMultipartUpload"),
        new(HttpVerb.Post, RequestLevel.Object, SubResource.None, RequestSignal.UploadId, "CompleteMultipartUpload"),
        new(HttpVerb.Post, RequestLevel.Object, SubResource.Uploads, RequestSignal.None, "CreateMultipartUpload"),
        new(HttpVerb.Get, RequestLevel.Object, SubResource.Acl, RequestSignal.None, "GetObjectAcl"),
        new(HttpVerb.Put, RequestLevel.Object, SubResource.Acl, RequestSignal.None, "PutObjectAcl"),
        new(HttpVerb.Get, RequestLevel.Object, SubResource.Attributes, RequestSignal.None, "GetObjectAttributes"),
        new(HttpVerb.Put, RequestLevel.Object, SubResource.Encryption, RequestSignal.None, "UpdateObjectEncryption"),
        new(HttpVerb.Get, RequestLevel.Object, SubResource.LegalHold, RequestSignal.None, "GetObjectLegalHold"),
        new(HttpVerb.Put, RequestLevel.Object, SubResource.LegalHold, RequestSignal.None, "PutObjectLegalHold"),
        new(HttpVerb.Put, RequestLevel.Object, SubResource.RenameObject, RequestSignal.None, "RenameObject"),
        new(HttpVerb.Post, RequestLevel.Object, SubResource.Restore, RequestSignal.None, "RestoreObject"),
        new(HttpVerb.Get, RequestLevel.Object, SubResource.Retention, RequestSignal.None, "GetObjectRetention"),
        new(HttpVerb.Put, RequestLevel.Object, SubResource.Retention, RequestSignal.None, "PutObjectRetention"),
        new(HttpVerb.Post, RequestLevel.Object, SubResource.Select, RequestSignal.SelectType2, "SelectObjectContent"),
        new(HttpVerb.Get, RequestLevel.Object, SubResource.Tagging, RequestSignal.None, "GetObjectTagging"),
        new(HttpVerb.Put, RequestLevel.Object, SubResource.Tagging, RequestSignal.None, "PutObjectTagging"),
        new(HttpVerb.Delete, RequestLevel.Object, SubResource.Tagging, RequestSignal.None, "DeleteObjectTagging"),
        new(HttpVerb.Get, RequestLevel.Object, SubResource.Torrent, RequestSignal.None, "GetObjectTorrent"),
    ];

    private static readonly int s_levels = Enum.GetValues<RequestLevel>().Length;
    private static readonly int s_subResources = Enum.GetValues<SubResource>().Length;
    private static readonly RuleGroup?[] s_groups = BuildGroups();

    /// <summary>
    /// The rule whose required signals equal the request's signals among those its row looks at, or null.
    /// Exact equality keeps e.g. <c>PUT object ?uploadId</c> without partNumber from passing as PutObject.
    /// </summary>
    public static ClassificationRule? Match(HttpVerb verb, RequestLevel level, SubResource subResource, RequestSignal signals)
    {
        RuleGroup? group = s_groups[IndexOf(verb, level, subResource)];
        if (group is null)
        {
            return null;
        }

        RequestSignal relevant = signals & group.Mask;
        foreach (ClassificationRule rule in group.Rules)
        {
            if (rule.Required == relevant)
            {
                return rule;
            }
        }

        return null;
    }

    private static int IndexOf(HttpVerb verb, RequestLevel level, SubResource subResource) =>
        ((((int)verb * s_levels) + (int)level) * s_subResources) + (int)subResource;

    private static RuleGroup?[] BuildGroups()
    {
        var groups = new RuleGroup?[Enum.GetValues<HttpVerb>().Length * s_levels * s_subResources];
        foreach (IGrouping<int, ClassificationRule> row in All.GroupBy(r => IndexOf(r.Verb, r.Level, r.SubResource)))
        {
            ClassificationRule[] rules = [.. row];
            RequestSignal mask = RequestSignal.None;
            foreach (ClassificationRule rule in rules)
            {
                mask |= rule.Required;
            }

            groups[row.Key] = new RuleGroup(mask, rules);
        }

        return groups;
    }

    private sealed record RuleGroup(RequestSignal Mask, ClassificationRule[] Rules);
}
