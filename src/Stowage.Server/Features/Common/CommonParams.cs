using System.Text.RegularExpressions;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Common;

public static class CommonParams
{
    public static readonly ParamSpec DeleteMode = new("deleteMode")
    {
        ValidValues = ["Permissive", "Enforcing"], Default = "Permissive",
        Description = "Permissive stops when a dependent refuses; Enforcing goes on",
    };
}

public static partial class CommonPatterns
{
    [GeneratedRegex("^[0-9a-f]{32}$")]
    public static partial Regex Uuid();
}
