/// What the hub needs from its store, split by role so that a reader (and a component) holds one role at a
/// time. `SQLiteStore` (SQLite, one node) implements them all; a component should depend on the roles it uses.
/// Every write that answers a client must be durable when it returns.
package typealias MessageStore = DirectoryStore & CredentialStore & ClientSystemStore & IntakeStore & InboxStore & DeliveryQueueStore & OperationsStore
    & RefusalStore & StatisticsStore & SessionStore & SealStore & EvidenceStore & EvidenceLogStore & WitnessStore & RetentionStore
