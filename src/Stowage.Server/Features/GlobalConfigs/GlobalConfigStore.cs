using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;
using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Persistence.Entities;

namespace Stowage.Server.Features.GlobalConfigs;

public sealed record GlobalConfigChanged(GlobalConfigDefinition Definition, string OldValue, string NewValue);

/// <summary>
/// Current values of every global config. The database is the source of truth; readers get the cached
/// value, which an update replaces at once, and subscribers hear of every change.
/// </summary>
public sealed class GlobalConfigStore(GlobalConfigCatalog catalog, StowageDbContextFactory dbFactory, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, string> _values = new(StringComparer.Ordinal);

    public event Action<GlobalConfigChanged>? Changed;

    public GlobalConfigCatalog Catalog => catalog;

    /// <summary>Inserts missing definitions with their defaults and loads every current value.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var db = dbFactory.CreateDbContext();
        var rows = await db.GlobalConfigs.ToListAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var d in catalog.All)
        {
            var row = rows.FirstOrDefault(r => r.Category == d.Category && r.Name == d.Name);
            if (row is null)
            {
                row = new GlobalConfigEntity { Category = d.Category, Name = d.Name, Description = d.Description, DefaultValue = d.DefaultValue, Value = d.DefaultValue, LastOpDate = now };
                db.GlobalConfigs.Add(row);
            }
            else if (row.DefaultValue != d.DefaultValue || row.Description != d.Description)
            {
                row.DefaultValue = d.DefaultValue;
                row.Description = d.Description;
                row.LastOpDate = now;
            }

            if (d.Validate(row.Value) is not null)
            {
                // A value that the current rules refuse (left by an older version) falls back to the default.
                row.Value = d.DefaultValue;
            }

            _values[d.Key] = row.Value;
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another server seeded the same rows at the same moment; its values are as good as ours.
            await using var again = dbFactory.CreateDbContext();
            foreach (var r in await again.GlobalConfigs.AsNoTracking().ToListAsync(cancellationToken))
            {
                _values[r.Category + "/" + r.Name] = r.Value;
            }
        }
    }

    public string Get(GlobalConfigDefinition d) => _values.TryGetValue(d.Key, out var v) ? v : d.DefaultValue;

    public long GetLong(GlobalConfigDefinition d) => long.Parse(Get(d), CultureInfo.InvariantCulture);

    public int GetInt(GlobalConfigDefinition d) => int.Parse(Get(d), CultureInfo.InvariantCulture);

    public bool GetBool(GlobalConfigDefinition d) => Get(d) == "true";

    public async Task<GlobalConfigEntity> UpdateAsync(string category, string name, string value, CancellationToken cancellationToken)
    {
        var d = catalog.Find(category, name)
            ?? throw ApiException.NotFound($"unable to find global config[category:{category}, name:{name}]");
        if (d.Validate(value) is { } error)
        {
            throw ApiException.Argument(error);
        }

        await using var db = dbFactory.CreateDbContext();
        var row = await db.GlobalConfigs.FirstAsync(r => r.Category == category && r.Name == name, cancellationToken);
        var old = row.Value;
        row.Value = value;
        row.LastOpDate = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        Publish(d, old, value);
        return row;
    }

    public async Task ResetAllAsync(CancellationToken cancellationToken)
    {
        await using var db = dbFactory.CreateDbContext();
        var rows = await db.GlobalConfigs.ToListAsync(cancellationToken);
        var changes = new List<GlobalConfigChanged>();
        foreach (var row in rows)
        {
            if (catalog.Find(row.Category, row.Name) is { } d && row.Value != d.DefaultValue)
            {
                changes.Add(new GlobalConfigChanged(d, row.Value, d.DefaultValue));
                row.Value = d.DefaultValue;
                row.LastOpDate = clock.GetUtcNow().UtcDateTime;
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        foreach (var c in changes)
        {
            Publish(c.Definition, c.OldValue, c.NewValue);
        }
    }

    /// <summary>
    /// Takes the values other servers of the cluster changed (called every heartbeat), raising
    /// <see cref="Changed"/> here as the server that made the change did.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await using var db = dbFactory.CreateDbContext();
        foreach (var row in await db.GlobalConfigs.AsNoTracking().ToListAsync(cancellationToken))
        {
            if (catalog.Find(row.Category, row.Name) is { } d && Get(d) is var old && old != row.Value && d.Validate(row.Value) is null)
            {
                Publish(d, old, row.Value);
            }
        }
    }

    private void Publish(GlobalConfigDefinition d, string old, string value)
    {
        _values[d.Key] = value;
        if (old != value)
        {
            Changed?.Invoke(new GlobalConfigChanged(d, old, value));
        }
    }
}
