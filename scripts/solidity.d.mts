export declare const EVM_VERSION: string;
export interface CompiledContract {
  abi: readonly unknown[];
  bytecode: `0x${string}`;
  deployedBytecode: `0x${string}`;
}
export declare function compileSolidity(files: string[]): Record<string, CompiledContract>;
export declare function writeChannelArtifact(): void;
