import TrucCLI

TrucCommand.prepareExecutor()
await TrucCommand.start()
