import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';

/** Where the model runs: onnxruntime's CPU provider (the default) or its CUDA provider on the first visible GPU. */
export type Device = 'cpu' | 'cuda';

export const DEVICES: readonly Device[] = ['cpu', 'cuda'];

/** A requested device this installation or machine cannot provide, said in one line with what would fix it. */
export class DeviceUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceUnavailableError';
  }
}

export function parseDevice(text: string): Device {
  const device = DEVICES.find((d) => d === text);
  if (!device) throw new DeviceUnavailableError(`device "${text}": expected ${DEVICES.join(' or ')}`);
  return device;
}

/**
 * The folder onnxruntime-node loads its native binding and execution provider libraries from. Resolved from the
 * binding file itself: the .vsix ships that folder without onnxruntime-node's JavaScript (it is in the bundles).
 */
export function onnxruntimeBinaryDir(): string {
  return path.dirname(
    require.resolve(
      `onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`,
    ),
  );
}

// onnxruntime-node's npm package bundles only the CPU provider; its install script adds these two for CUDA 12
// (linux/x64, ONNXRUNTIME_NODE_INSTALL=cuda12), from Microsoft's NuGet package of the same version.
const CUDA_PROVIDER_FILES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];

/** Why this installation of onnxruntime-node cannot use CUDA, or undefined when its provider libraries are there. */
export function cudaUnavailableReason(binaryDir = onnxruntimeBinaryDir()): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return `onnxruntime-node has a CUDA provider only on linux/x64, this is ${process.platform}/${process.arch}`;
  const missing = CUDA_PROVIDER_FILES.filter((f) => !fs.existsSync(path.join(binaryDir, f)));
  if (missing.length === 0) return undefined;
  return (
    `the installed onnxruntime-node has no CUDA execution provider (${missing.join(', ')} missing in ${binaryDir}); ` +
    'reinstall it on the GPU machine with ONNXRUNTIME_NODE_INSTALL=cuda12 (npm rebuild onnxruntime-node)'
  );
}

/** onnxruntime execution providers for a device; CUDA keeps the CPU provider for any operator it lacks. */
export function executionProviders(device: Device): ort.InferenceSession.ExecutionProviderConfig[] {
  if (device === 'cpu') return ['cpu'];
  const reason = cudaUnavailableReason();
  if (reason) throw new DeviceUnavailableError(`--device cuda: ${reason}`);
  return [{ name: 'cuda', deviceId: 0 }, 'cpu'];
}

/** Creates a session and, for CUDA, turns onnxruntime's failure (no GPU, no CUDA/cuDNN libraries) into one line. */
export async function createSessionOn<T>(device: Device, create: () => Promise<T>): Promise<T> {
  if (device === 'cpu') return create();
  try {
    return await create();
  } catch (error) {
    const detail = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new DeviceUnavailableError(
      `--device cuda: onnxruntime could not start its CUDA provider (needs an NVIDIA GPU, its driver, CUDA 12 and cuDNN 9 libraries on the library path): ${detail}`,
    );
  }
}
