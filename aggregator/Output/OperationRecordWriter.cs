using System.Text.Json;

namespace S3Slower.Aggregator.Output;

/// <summary>Writes an <see cref="OperationRecord"/> as one JSON object by hand: the hot path of the jsonl driver.</summary>
public static class OperationRecordWriter
{
    public static void Write(Utf8JsonWriter w, OperationRecord r)
    {
        w.WriteStartObject();
        w.WriteString("time"u8, r.Time);
        w.WriteString("collector_id"u8, r.CollectorId);
        w.WriteNumber("seq"u8, r.Seq);
        w.WriteString("hostname"u8, r.Hostname);
        w.WriteNumber("pid"u8, r.Pid);
        w.WriteNumber("tid"u8, r.Tid);
        w.WriteString("comm"u8, r.Comm);
        w.WriteString("method"u8, r.Method);
        w.WriteString("operation"u8, r.Operation);
        w.WriteString("bucket"u8, r.Bucket);
        w.WriteString("key"u8, r.Key);
        if (r.PartNumber is { } part)
        {
            w.WriteNumber("part_number"u8, part);
        }
        else
        {
            w.WriteNull("part_number"u8);
        }

        w.WriteString("endpoint"u8, r.Endpoint);
        w.WriteNumber("status"u8, r.Status);
        w.WriteString("error_code"u8, r.ErrorCode);
        w.WriteString("request_id"u8, r.RequestId);
        w.WriteString("amz_id2"u8, r.AmzId2);
        w.WriteBoolean("tls"u8, r.Tls);
        w.WriteNumber("connection_id"u8, r.ConnectionId);
        w.WriteNumber("request_bytes"u8, r.RequestBytes);
        w.WriteNumber("response_bytes"u8, r.ResponseBytes);
        w.WriteNumber("total_ms"u8, r.TotalMs);
        w.WriteNumber("ttfb_ms"u8, r.TtfbMs);
        w.WriteNumber("upload_ms"u8, r.UploadMs);
        w.WriteNumber("server_ms"u8, r.ServerMs);
        w.WriteNumber("wait_ms"u8, r.WaitMs);
        w.WriteNumber("download_ms"u8, r.DownloadMs);
        w.WriteStartArray("flags"u8);
        foreach (string f in r.Flags)
        {
            w.WriteStringValue(f);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
