namespace Stowage.Core.Resources;

/// <summary>The admin flag shared by zones and backup storages: a total, idempotent two-state machine.</summary>
public enum ResourceState
{
    Enabled,
    Disabled,
}

public static class StateEvents
{
    public static readonly IReadOnlyList<string> Valid = ["enable", "disable"];

    /// <summary>Enabled+enable, Disabled+enable → Enabled; either + disable → Disabled.</summary>
    public static ResourceState Apply(string stateEvent) => stateEvent.ToLowerInvariant() switch
    {
        "enable" => ResourceState.Enabled,
        "disable" => ResourceState.Disabled,
        _ => throw new ArgumentOutOfRangeException(nameof(stateEvent), stateEvent, "unknown state event"),
    };
}
