import TrucCLI

TrucCommand.prepareServe()
await TrucCommand.start()
