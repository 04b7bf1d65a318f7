using System.Diagnostics;
using Npgsql;

namespace Stowage.Server.Cluster;

/// <summary>
/// The heartbeat: a dedicated thread renewing this server's row every <c>--cluster-heartbeat</c> on a
/// dedicated, unpooled connection whose commands time out within the lease. The lease runs from the moment
/// a renewal was sent, so however late the database answers, this server stops before the others can see
/// its heartbeat as older than <c>--cluster-dead-after</c>.
/// </summary>
public sealed partial class ClusterMembership
{
    private Task RenewOnOwnThreadAsync(CancellationToken stoppingToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                RenewLoop(stoppingToken);
            }
            finally
            {
                done.TrySetResult();
            }
        })
        {
            IsBackground = true,
            Name = "stowage-cluster-heartbeat",
        };
        thread.Start();
        return done.Task;
    }

    private void RenewLoop(CancellationToken stoppingToken)
    {
        var seconds = (int)Math.Max(1, Math.Ceiling(Options.Lease.TotalSeconds));
        var connectionString = new NpgsqlConnectionStringBuilder(dbFactory.Settings.ConnectionString)
        {
            Pooling = false, Timeout = seconds, CommandTimeout = seconds, KeepAlive = 1,
        }.ToString();
        NpgsqlConnection? connection = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                if (connection is null)
                {
                    connection = new NpgsqlConnection(connectionString);
                    connection.Open();
                }

                Renew(connection, started);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
            {
                LogTickFailed(logger, e, node.Id);
                connection?.Dispose();
                connection = null;
            }

            var wait = Options.Heartbeat - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                stoppingToken.WaitHandle.WaitOne(wait);
            }
        }

        connection?.Dispose();
    }

    private void Renew(NpgsqlConnection connection, long started)
    {
        using var update = new NpgsqlCommand("UPDATE management_nodes SET heartbeat_date = now(), address = @address WHERE id = @id", connection);
        update.Parameters.AddWithValue("id", node.Id);
        update.Parameters.AddWithValue("address", _address);
        if (update.ExecuteNonQuery() == 0)
        {
            // First renewal, or the others declared this server dead (it was cut off longer than the bound):
            // what it owned was reaped, so it joins afresh with nothing.
            if (Volatile.Read(ref _leaseUntil) != 0)
            {
                LogRejoined(logger, node.Id);
            }

            lock (_sync)
            {
                _owned = new HashSet<string>(StringComparer.Ordinal);
            }

            using var insert = new NpgsqlCommand(
                "INSERT INTO management_nodes (id, address, join_date, heartbeat_date) VALUES (@id, @address, now(), now()) ON CONFLICT (id) DO UPDATE SET heartbeat_date = now(), address = @address",
                connection);
            insert.Parameters.AddWithValue("id", node.Id);
            insert.Parameters.AddWithValue("address", _address);
            insert.ExecuteNonQuery();
        }

        Volatile.Write(ref _leaseUntil, started + (long)(Options.Lease.TotalSeconds * Stopwatch.Frequency));
        Interlocked.Exchange(ref _fenced, 0);
        _joined.TrySetResult();
    }
}
