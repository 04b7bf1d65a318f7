using Stowage.Core.Errors;

namespace Stowage.Server.Features.BackupStorage;

/// <summary>The backup-storage family's error codes, with ZStack's description texts.</summary>
public static class BackupStorageErrors
{
    public const string Attach = "BS.1001";
    public const string Detach = "BS.1002";
    public const string Allocate = "BS.1003";
    public const string Connect = "BS.1500";

    public static void Register()
    {
        Errors.Register(Attach, "Unable to attach backup storage to zone");
        Errors.Register(Detach, "Unable to detach backup storage from zone");
        Errors.Register(Allocate, "Unable to allocate a backup storage");
        Errors.Register(Connect, "Unable to connect a backup storage");
    }
}
