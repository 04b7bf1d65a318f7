namespace Stowage.Core.Resources;

/// <summary>ZStack resource identifiers: 32 lowercase hexadecimal characters, no dashes.</summary>
public static class ResourceUuid
{
    public static string New() => Guid.NewGuid().ToString("N");

    public static bool IsValid(string? value)
    {
        if (value is null || value.Length != 32)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }
}
