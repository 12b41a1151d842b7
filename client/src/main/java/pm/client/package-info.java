/**
 * The Java SDK for a pm cluster: {@link pm.client.ClusterClient} (blocking) and
 * {@link pm.client.AsyncClusterClient} (futures and streams), the options their calls take
 * ({@link pm.client.SpawnOptions}, {@link pm.client.ListFilter}, {@link pm.client.LogOptions},
 * {@link pm.client.EventOptions}, {@link pm.client.CheckpointOptions}, {@link pm.client.ClientSettings}),
 * and the exceptions they throw,
 * all under {@link pm.client.ClusterClientException} with a pm {@link pm.client.ErrorCode}.
 * {@code pm.client.internal} is not part of the API.
 */
package pm.client;
