namespace S3Slower.Aggregator.Classification;

/// <summary>What the query string of a request says about its operation.</summary>
internal readonly record struct QueryFacts(SubResource SubResource, RequestSignal Signals, int? PartNumber, string? Problem)
{
    /// <summary>
    /// Reads a query string (without the leading '?'). Parameters that carry a value and are not in
    /// <see cref="QueryParameterTable"/> (prefix, max-keys, X-Amz-Signature of presigned URLs, x-id, …) never change
    /// the operation and are skipped; an unknown bare name looks like a sub-resource we do not know, so it is a problem.
    /// </summary>
    public static QueryFacts Parse(ReadOnlySpan<char> query)
    {
        var sub = SubResource.None;
        var signals = RequestSignal.None;
        int? partNumber = null;
        string? problem = null;

        while (!query.IsEmpty)
        {
            int amp = query.IndexOf('&');
            ReadOnlySpan<char> pair = amp < 0 ? query : query[..amp];
            query = amp < 0 ? [] : query[(amp + 1)..];

            int eq = pair.IndexOf('=');
            ReadOnlySpan<char> name = eq < 0 ? pair : pair[..eq];
            ReadOnlySpan<char> value = eq < 0 ? [] : pair[(eq + 1)..];
            if (name.IsEmpty)
            {
                continue;
            }

            if (!QueryParameterTable.TryGet(name, out QueryParameter parameter))
            {
                if (eq < 0)
                {
                    problem ??= $"unrecognised sub-resource ?{name}";
                }

                continue;
            }

            if (parameter.SubResource != SubResource.None)
            {
                if (sub != SubResource.None && sub != parameter.SubResource)
                {
                    problem ??= $"conflicting sub-resources ?{QueryParameterTable.NameOf(sub)} and ?{parameter.Name}";
                }

                sub = parameter.SubResource;
                continue;
            }

            switch (parameter.Signal)
            {
                case RequestSignal.ListType2:
                case RequestSignal.SelectType2:
                    if (value.SequenceEqual("2"))
                    {
                        signals |= parameter.Signal;
                    }
                    else
                    {
                        problem ??= $"unsupported {parameter.Name}={value}";
                    }

                    break;
                case RequestSignal.PartNumber:
                    signals |= RequestSignal.PartNumber;
                    if (int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n))
                    {
                        partNumber = n;
                    }

                    break;
                default:
                    signals |= parameter.Signal;
                    break;
            }
        }

        return new QueryFacts(sub, signals, partNumber, problem);
    }
}
