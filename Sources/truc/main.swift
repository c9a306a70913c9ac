import TrucCLI

await TrucCommand.start()
