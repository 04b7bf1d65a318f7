using Stowage.Core.Config;

namespace Stowage.Server.Features.Verification;

/// <summary>The verification settings (category <c>backupStorage</c>), read live by every verification and scan.</summary>
public static class VerificationConfigs
{
    public static readonly GlobalConfigDefinition Interval = new(
        "backupStorage", "verify.interval",
        "Seconds between two scheduled verifications of one copy (default 30 days); copies never verified are spread over one interval after their creation, not all at once. 0 turns scheduled verification off",
        "2592000", GlobalConfigType.Long, NumberGreaterThan: -1);

    public static readonly GlobalConfigDefinition RateLimit = new(
        "backupStorage", "verify.rateLimit",
        "Read rate of one verification in bytes per second (e.g. 64M), so verification never starves real transfers; 0: no limit. In-process readers (FileSystem, NFS, Swift, S3) apply a change at once; an SFTP host reads it when each copy's verification starts and throttles with pv -L (without pv on the host the limit cannot be held there and verification runs at nice/ionice lowest priority)",
        "64M", GlobalConfigType.SizeString);

    public static readonly GlobalConfigDefinition Concurrency = new(
        "backupStorage", "verify.concurrency", "Verifications running at once on one backup storage, scheduled and requested together",
        "1", GlobalConfigType.Long, NumberGreaterThan: 0, NumberLessThan: 65);

    public static readonly GlobalConfigDefinition ScanInterval = new(
        "backupStorage", "verify.scanInterval", "Seconds between two looks of the verification scheduler for copies that are due",
        "60", GlobalConfigType.Long, NumberGreaterThan: 0, NumberLessThan: 86401);

    public static readonly GlobalConfigDefinition Repair = new(
        "backupStorage", "verify.repair", "Replace a copy found Corrupted from a Ready, verified copy on another backup storage at once (through the copy pipeline)",
        "true", GlobalConfigType.Bool);

    public static IEnumerable<GlobalConfigDefinition> All => [Interval, RateLimit, Concurrency, ScanInterval, Repair];
}
