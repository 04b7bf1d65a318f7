using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Persistence.Entities;

namespace Stowage.Server.Storage;

/// <summary>How the tracker writes a status it found, over concurrent writers of the same row.</summary>
public static class VerdictSave
{
    /// <summary>
    /// Saves a check's verdict even when an image add changed the row meanwhile (a reservation bumps its
    /// version): only the columns the check set are written, over the row as it now is. An expected race,
    /// so it is retried rather than logged as an error.
    /// </summary>
    public static async Task SaveOverConcurrentWritesAsync(StowageDbContext db)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await db.SaveChangesAsync(CancellationToken.None);
                return;
            }
            catch (DbUpdateConcurrencyException e) when (attempt < 5)
            {
                foreach (var entry in e.Entries)
                {
                    if (await entry.GetDatabaseValuesAsync(CancellationToken.None) is { } now)
                    {
                        // Columns this save did not set take the row's values, so they are not written back.
                        foreach (var property in entry.Properties.Where(p => !p.IsModified))
                        {
                            property.CurrentValue = now[property.Metadata];
                        }

                        entry.OriginalValues.SetValues(now);
                        if (entry.Entity is IVersioned)
                        {
                            // The save bumps the version from the current value: start from the row's.
                            entry.Property(nameof(IVersioned.Version)).CurrentValue = now[nameof(IVersioned.Version)];
                        }
                    }
                    else
                    {
                        // Deleted meanwhile: nothing left to mark.
                        entry.State = EntityState.Detached;
                    }
                }
            }
        }
    }
}
